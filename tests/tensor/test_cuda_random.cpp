// CUDA random fills (tensor/kernels/random.cu) against the CPU ones: the same Philox stream from
// equal generators, bit for bit for uniform fills, to the libm's last ulps for normal fills.
#include <cstdint>
#include <vector>

#include "tests/tensor/cuda_test_util.h"

using namespace bcl;
using bcl::test::check_cuda_matches;
using bcl::test::skip_without_gpu;

namespace {

const int64_t kSizes[] = {1, 2, 3, 4, 5, 7, 1023, 1025, 100003};

// Seeds and offsets whose high 32 bits are set, so both counter and key words are exercised; the
// second offset makes a fill cross 2^32 in the counter's low word.
const uint64_t kStates[][2] = {{0, 0}, {0x0123456789ABCDEFull, 5}, {77, (1ull << 32) - 3}};

// Normal fills go through log, sqrt and sincos. sqrt is correctly rounded on both devices, but
// CUDA's double log (1 ulp) and sincos (2 ulps) may differ from glibc's by an ulp or two, so the
// float64 values a + b r cos(theta) may differ by a few ulps of |b z| <= 2 * 8: atol 1e-13 covers
// that with a wide margin, and rtol 1e-13 the relative part. The float32 values are those doubles
// rounded to float: equal, or one float ulp apart when the doubles straddle a rounding boundary:
// rtol 2.4e-7 (2 ulps), and atol 1e-12 for values that a + b z cancels to near 0.
struct Tolerance {
  double atol, rtol;
};
Tolerance normal_tolerance(DType dtype) {
  return dtype == DType::Float32 ? Tolerance{1e-12, 2.4e-7} : Tolerance{1e-13, 1e-13};
}

Tolerance exact(DType) {
  return {0, 0};
}

// Fills n values with `fill` from equal generators on each device, for every dtype, state,
// parameter pair and size, and compares them with the tolerance tol(dtype).
template <class Fill>
void check_fill_matches_cpu(const char* name, const double (&params)[3][2], Fill fill,
                            Tolerance (*tol)(DType)) {
  for (DType dtype : {DType::Float32, DType::Float64}) {
    for (const auto& state : kStates) {
      for (const auto& p : params) {
        for (int64_t n : kSizes) {
          CAPTURE(dtype_name(dtype));
          CAPTURE(state[0]);
          CAPTURE(state[1]);
          CAPTURE(p[0]);
          CAPTURE(n);
          Generator cpu_gen, gpu_gen;
          cpu_gen.set_state(state[0], state[1]);
          gpu_gen.set_state(state[0], state[1]);
          Tensor cpu = empty({n}, dtype);
          Tensor gpu = empty({n}, dtype, Device::CUDA);
          fill(cpu, p[0], p[1], cpu_gen);
          fill(gpu, p[0], p[1], gpu_gen);
          const Tolerance t = tol(dtype);
          check_cuda_matches(name, gpu, cpu, t.atol, t.rtol);
          CHECK(gpu_gen.offset() == cpu_gen.offset());
        }
      }
    }
  }
}

}  // namespace

TEST_CASE("cuda/uniform_matches_cpu_exactly") {
  if (skip_without_gpu()) return;
  // (0, 1), a width that is not a power of two, and a negative range.
  const double ranges[3][2] = {{0, 1}, {-0.37, 1.93}, {-5, -2}};
  // Exact: the same Philox words, exact conversions, and the CPU's one FMA.
  check_fill_matches_cpu(
      "uniform_", ranges,
      [](Tensor& t, double lo, double hi, Generator& g) { raw::uniform_(t, lo, hi, g); }, exact);
}

TEST_CASE("cuda/normal_matches_cpu") {
  if (skip_without_gpu()) return;
  const double params[3][2] = {{0, 1}, {-0.37, 1.93}, {2, 0.01}};
  check_fill_matches_cpu(
      "normal_", params,
      [](Tensor& t, double mean, double std, Generator& g) { raw::normal_(t, mean, std, g); },
      normal_tolerance);
}

TEST_CASE("cuda/normal_float32_mostly_bit_identical") {
  if (skip_without_gpu()) return;
  // The tolerance above allows one float ulp anywhere; in fact a difference needs the two doubles
  // to straddle a float rounding boundary, which happens for about one value in 10^7 or fewer.
  // A systematic slip (a different formula, a dropped FMA) would change far more.
  const int64_t n = 1 << 20;
  Generator cpu_gen(99), gpu_gen(99);
  Tensor cpu = empty({n}, DType::Float32);
  Tensor gpu = empty({n}, DType::Float32, Device::CUDA);
  raw::normal_(cpu, 0.5, 1.5, cpu_gen);
  raw::normal_(gpu, 0.5, 1.5, gpu_gen);
  const std::vector<double> c = cpu.to_vector(), g = gpu.to_vector();
  int64_t differ = 0;
  for (int64_t i = 0; i < n; ++i) differ += c[i] != g[i];
  MESSAGE("normal_ float32: ", differ, " of ", n, " values differ from the CPU's");
  CHECK(differ <= 16);
}

TEST_CASE("cuda/generator_advances_like_cpu") {
  if (skip_without_gpu()) return;
  // Successive fills of different kinds, dtypes and odd sizes from equal generators: each fill
  // reserves the same blocks on both devices, so every later fill still agrees.
  Generator cpu_gen(2024), gpu_gen(2024);
  struct Fill {
    bool normal;
    DType dtype;
    int64_t n;
  };
  const Fill fills[] = {{false, DType::Float32, 10}, {true, DType::Float64, 7},
                        {false, DType::Float64, 5},  {true, DType::Float32, 3},
                        {false, DType::Float32, 1},  {true, DType::Float64, 1001}};
  for (const Fill& f : fills) {
    CAPTURE(f.normal);
    CAPTURE(dtype_name(f.dtype));
    CAPTURE(f.n);
    Tensor cpu = empty({f.n}, f.dtype);
    Tensor gpu = empty({f.n}, f.dtype, Device::CUDA);
    if (f.normal) {
      raw::normal_(cpu, 0, 1, cpu_gen);
      raw::normal_(gpu, 0, 1, gpu_gen);
      const Tolerance tol = normal_tolerance(f.dtype);
      check_cuda_matches("normal_", gpu, cpu, tol.atol, tol.rtol);
    } else {
      raw::uniform_(cpu, -1, 1, cpu_gen);
      raw::uniform_(gpu, -1, 1, gpu_gen);
      check_cuda_matches("uniform_", gpu, cpu, 0, 0);
    }
    CHECK(gpu_gen.offset() == cpu_gen.offset());
  }
  // Host draws after the fills agree too.
  CHECK(gpu_gen.next_u32() == cpu_gen.next_u32());
}

TEST_CASE("cuda/random_fill_views_and_edge_cases") {
  if (skip_without_gpu()) return;
  for (DType dtype : {DType::Float32, DType::Float64}) {
    CAPTURE(dtype_name(dtype));
    // A transposed view is filled in its own row-major order (through a temporary), the rest of
    // the storage left alone.
    Tensor cpu = zeros({37, 29}, dtype);
    Tensor gpu = zeros({37, 29}, dtype, Device::CUDA);
    Tensor cpu_t = raw::narrow(raw::transpose(cpu, 0, 1), 1, 3, 30);
    Tensor gpu_t = raw::narrow(raw::transpose(gpu, 0, 1), 1, 3, 30);
    REQUIRE_FALSE(gpu_t.is_contiguous());
    Generator cpu_gen(5), gpu_gen(5);
    raw::uniform_(cpu_t, -2, 3, cpu_gen);
    raw::uniform_(gpu_t, -2, 3, gpu_gen);
    check_cuda_matches("uniform_", gpu, cpu, 0, 0);
    const Tolerance tol = normal_tolerance(dtype);
    raw::normal_(cpu_t, 1, 2, cpu_gen);
    raw::normal_(gpu_t, 1, 2, gpu_gen);
    check_cuda_matches("normal_", gpu, cpu, tol.atol, tol.rtol);

    // An empty fill reserves nothing.
    Tensor none = empty({0, 4}, dtype, Device::CUDA);
    const uint64_t before = gpu_gen.offset();
    raw::normal_(none, 0, 1, gpu_gen);
    raw::uniform_(none, 0, 1, gpu_gen);
    CHECK(gpu_gen.offset() == before);

    // kaiming_normal_ is normal_ with std sqrt(2 / fan_in).
    Tensor w_cpu = empty({16, 8, 3, 3}, dtype);
    Tensor w_gpu = empty({16, 8, 3, 3}, dtype, Device::CUDA);
    Generator kc(11), kg(11);
    raw::kaiming_normal_(w_cpu, kc);
    raw::kaiming_normal_(w_gpu, kg);
    check_cuda_matches("normal_", w_gpu, w_cpu, tol.atol, tol.rtol);
  }
}
