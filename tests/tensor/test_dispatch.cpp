// Run-time instruction-set dispatch (tensor/dispatch.h): host_isa() against the kernel's view of
// the CPU, ScopedIsaLimit, a table never handing out a variant above the CPU's set or the limit,
// and the conv2d tables' AVX2 and generic variants, each forcible on a machine with a better set
// (so the backend table, tests/tensor/test_backend_ops.cpp, checks both on an AVX-512 machine).
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "tensor/dispatch.h"
#include "tensor/kernels/conv2d.h"
#include "tensor/kernels/conv2d_direct.h"
#include "tests/skip.h"
#include "tests/test_util.h"

using namespace bcl;

namespace bcl::test {
#if defined(__x86_64__)
int avx512_probe(const int* x);  // tests/tensor/dispatch_probe_avx512.cpp
#endif
}  // namespace bcl::test

namespace {

bool at_least(Isa a, Isa b) {
  return static_cast<int>(a) >= static_cast<int>(b);
}

// The CPU flags the Linux kernel reports ("flags : fpu vme ..." of the first processor).
std::set<std::string> cpuinfo_flags() {
  std::ifstream in("/proc/cpuinfo");
  std::set<std::string> flags;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("flags", 0) != 0) continue;
    std::istringstream words(line.substr(line.find(':') + 1));
    for (std::string w; words >> w;) flags.insert(w);
    break;
  }
  return flags;
}

void never_run(const Tensor&, const Tensor&, const Tensor&, const Tensor&, const Conv2dParams&) {
  FAIL("a variant above the CPU's instruction set or the limit ran");
}

// Puts `fn` into an empty slot of the conv2d float32 table for its lifetime.
class TemporaryVariant {
 public:
  TemporaryVariant(Isa isa, Conv2dKernel fn) : isa_(isa) {
    REQUIRE((conv2d_kernels().variant(Device::CPU, DType::Float32, isa) == nullptr));
    conv2d_kernels().set(Device::CPU, DType::Float32, fn, isa);
  }
  ~TemporaryVariant() { conv2d_kernels().set(Device::CPU, DType::Float32, nullptr, isa_); }
  TemporaryVariant(const TemporaryVariant&) = delete;
  TemporaryVariant& operator=(const TemporaryVariant&) = delete;

 private:
  Isa isa_;
};

// A conv2d table's float32 variants: generic (im2col + GEMM) always; AVX2 (the direct 3x3 kernel
// where it applies) in builds for AVX2, picked on AVX2 and AVX-512 CPUs; each forced by a limit.
template <class Fn>
void check_conv_variants(const DispatchTable<Fn>& table) {
  INFO("table ", table.op());
  const Fn generic = table.variant(Device::CPU, DType::Float32, Isa::Generic);
  const Fn avx2 = table.variant(Device::CPU, DType::Float32, Isa::AVX2);
  REQUIRE((generic != nullptr));
  CHECK((table.variant(Device::CPU, DType::Float32, Isa::AVX512) == nullptr));
  CHECK((table.variant(Device::CPU, DType::Float32, Isa::AVX512_BF16) == nullptr));
#ifdef BCL_CONV2D_DIRECT
  REQUIRE((avx2 != nullptr));
  CHECK((avx2 != generic));
#else
  CHECK((avx2 == nullptr));
#endif
  const Fn best = avx2 != nullptr && at_least(host_isa(), Isa::AVX2) ? avx2 : generic;
  CHECK((table.get(Device::CPU, DType::Float32) == best));
  {
    const ScopedIsaLimit limit(Isa::AVX2);
    CHECK((table.get(Device::CPU, DType::Float32) == best));
  }
  {
    const ScopedIsaLimit limit(Isa::Generic);
    CHECK((table.get(Device::CPU, DType::Float32) == generic));
  }
  // float64 has the generic kernel alone, at every limit.
  CHECK((table.get(Device::CPU, DType::Float64) ==
         table.variant(Device::CPU, DType::Float64, Isa::Generic)));
}

}  // namespace

TEST_CASE("dispatch/host_isa agrees with the CPU flags in /proc/cpuinfo") {
  MESSAGE("host_isa: ", std::string(isa_name(host_isa())));
#if defined(__x86_64__) && defined(__linux__)
  const std::set<std::string> flags = cpuinfo_flags();
  REQUIRE_MESSAGE(!flags.empty(), "no flags line in /proc/cpuinfo");
  const auto has = [&](const char* flag) { return flags.count(flag) == 1; };
  Isa expected = Isa::Generic;
  if (has("avx2") && has("fma")) expected = Isa::AVX2;
  if (has("avx512f") && has("avx512bw") && has("avx512vl") && has("avx512dq"))
    expected = has("avx512_bf16") ? Isa::AVX512_BF16 : Isa::AVX512;
  CHECK(isa_name(host_isa()) == std::string(isa_name(expected)));
#elif !defined(__i386__)
  CHECK(host_isa() == Isa::Generic);  // no x86 sets elsewhere (aarch64)
#endif
}

TEST_CASE("dispatch/ScopedIsaLimit lowers the active set and never raises it") {
  CHECK(active_isa() == host_isa());
  {
    const ScopedIsaLimit up(Isa::AVX512_BF16);
    CHECK(active_isa() == host_isa());
    const ScopedIsaLimit generic(Isa::Generic);
    CHECK(active_isa() == Isa::Generic);
    {
      const ScopedIsaLimit avx2(Isa::AVX2);  // nested: the lower limit stays
      CHECK(active_isa() == Isa::Generic);
    }
    CHECK(active_isa() == Isa::Generic);
  }
  CHECK(active_isa() == host_isa());
}

TEST_CASE("dispatch/get never picks a variant the CPU lacks or the limit excludes") {
  // Fake AVX-512 variants in conv2d's empty slots: picked only where the CPU has the set, and
  // never under a limit of AVX2 (an AVX2-only CPU, as far as the tables can tell).
  for (Isa isa : {Isa::AVX512, Isa::AVX512_BF16}) {
    INFO("fake variant at ", isa_name(isa));
    const Conv2dKernel real = conv2d_kernels().get(Device::CPU, DType::Float32);
    const TemporaryVariant fake(isa, &never_run);
    const Conv2dKernel picked = conv2d_kernels().get(Device::CPU, DType::Float32);
    CHECK(((picked == &never_run) == at_least(host_isa(), isa)));
    if (picked != &never_run) CHECK((picked == real));
    const ScopedIsaLimit avx2(Isa::AVX2);
    CHECK((conv2d_kernels().get(Device::CPU, DType::Float32) == real));
  }
  CHECK((conv2d_kernels().variant(Device::CPU, DType::Float32, Isa::AVX512) == nullptr));
}

TEST_CASE("dispatch/conv2d: the AVX2 variant on AVX2 and AVX-512 CPUs, the generic one forcible") {
  check_conv_variants(conv2d_kernels());
  check_conv_variants(conv2d_backward_input_kernels());
  check_conv_variants(conv2d_backward_weight_kernels());
  // Results of both variants against the reference: the backend table's conv2d rows.
}

TEST_CASE("dispatch/an *_avx512.cpp file is built for AVX-512 and runs where the CPU has it") {
  if (!at_least(host_isa(), Isa::AVX512)) {
    test::skip(test::SkipReason::NoIsa,
               std::string("needs avx512, host has ") + isa_name(host_isa()));
    return;
  }
#if defined(__x86_64__)
  int x[16];
  for (int i = 0; i < 16; ++i) x[i] = i + 1;
  CHECK(test::avx512_probe(x) == 272);
#endif
}
