// Dispatch: every op owns tables of kernels keyed by (device, dtype, instruction set).
//
// A kernel file registers itself beside its twins, e.g. in tensor/kernels/elementwise.cpp
//   static const KernelRegistrar reg(binary_kernels(), Device::CPU, DType::Float32,
//   &binary_cpu<float>);
// and tensor/kernels/elementwise.cu registers the Device::CUDA entries of the same table. The op
// front-end (validation, output allocation) looks the kernel up with get() and calls it.
//
// A CPU kernel may come in several instruction-set variants (a generic one, and AVX2 or AVX-512
// ones): get() picks the best one the running CPU supports, so a binary built for x86-64-v3
// (`make ARCH_FLAGS=-march=x86-64-v3`) runs on every x86-64 machine of the project. The generic
// code is built for AVX2 and FMA at least, so AVX2 variants live in ordinary files; AVX-512 ones in
// files named *_avx512.cpp or *_avx512bf16.cpp, compiled for that set alone, which must follow the
// Makefile's rule (no weak symbols, no registration). Tests force a lower set with ScopedIsaLimit,
// so each variant is checked on a machine that has a better one.
//
// Every table also enters a registry as it is constructed (tables are function-local statics,
// constructed by their first registration during static initialisation), so the test suite can
// list every registered kernel (tests/tensor/test_backend_ops.cpp) and every op
// (tests/tensor/test_op_map.cpp).
#pragma once

#include <string>
#include <vector>

#include "tensor/dtype.h"
#include "tensor/error.h"

namespace bcl {

// Instruction sets, in increasing order: a variant for one set runs on every CPU that has it.
enum class Isa { Generic, AVX2, AVX512, AVX512_BF16 };
constexpr int kNumIsas = 4;
const char* isa_name(Isa isa);
// The best set this CPU supports (AVX2 with FMA; AVX-512 F/BW/VL/DQ; and AVX512_BF16).
Isa host_isa();
// The best set kernels may use now: host_isa(), or lower inside a ScopedIsaLimit.
Isa active_isa();

// Caps the instruction set get() picks while it lives (tests; not thread-safe, not nested across
// threads).
class ScopedIsaLimit {
 public:
  explicit ScopedIsaLimit(Isa limit);
  ~ScopedIsaLimit();
  ScopedIsaLimit(const ScopedIsaLimit&) = delete;
  ScopedIsaLimit& operator=(const ScopedIsaLimit&) = delete;

 private:
  Isa previous_;
};

struct KernelKey {
  Device device;
  DType dtype;
  Isa isa;
};

// What the registry sees of a table.
class DispatchTableBase {
 public:
  explicit DispatchTableBase(const char* op);
  virtual ~DispatchTableBase() = default;
  const char* op() const { return op_; }
  virtual std::vector<KernelKey> keys() const = 0;

 protected:
  const char* op_;
};

// Every table constructed so far, in order of construction.
const std::vector<const DispatchTableBase*>& dispatch_tables();

template <class Fn>
class DispatchTable : public DispatchTableBase {
 public:
  explicit DispatchTable(const char* op) : DispatchTableBase(op) {}

  void set(Device device, DType dtype, Fn fn, Isa isa = Isa::Generic) {
    slot(device, dtype, isa) = fn;
  }
  bool has(Device device, DType dtype) const { return best(device, dtype) != nullptr; }
  // The best variant for (device, dtype) that the active instruction set allows.
  Fn get(Device device, DType dtype) const {
    Fn fn = best(device, dtype);
    BCL_CHECK(fn != nullptr, op_, ": no kernel for device ", device_name(device), " and dtype ",
              dtype_name(dtype));
    return fn;
  }
  // The variant registered for exactly this set, or null (tests: which one get() picked).
  Fn variant(Device device, DType dtype, Isa isa) const {
    return table_[static_cast<int>(device)][static_cast<int>(dtype)][static_cast<int>(isa)];
  }
  std::vector<KernelKey> keys() const override {
    std::vector<KernelKey> out;
    for (int d = 0; d < kNumDevices; ++d)
      for (int t = 0; t < kNumDTypes; ++t)
        for (int i = 0; i < kNumIsas; ++i)
          if (table_[d][t][i] != nullptr)
            out.push_back({static_cast<Device>(d), static_cast<DType>(t), static_cast<Isa>(i)});
    return out;
  }

 private:
  Fn& slot(Device device, DType dtype, Isa isa) {
    return table_[static_cast<int>(device)][static_cast<int>(dtype)][static_cast<int>(isa)];
  }
  Fn best(Device device, DType dtype) const {
    const Fn* variants = table_[static_cast<int>(device)][static_cast<int>(dtype)];
    for (int i = static_cast<int>(active_isa()); i >= 0; --i)
      if (variants[i] != nullptr) return variants[i];
    return nullptr;
  }

  Fn table_[kNumDevices][kNumDTypes][kNumIsas] = {};
};

// Registers one kernel during static initialisation. Tables are function-local statics
// (e.g. `DispatchTable<BinaryKernel>& binary_kernels()`), so their order of construction is safe.
struct KernelRegistrar {
  template <class Fn>
  KernelRegistrar(DispatchTable<Fn>& table, Device device, DType dtype, Fn fn,
                  Isa isa = Isa::Generic) {
    table.set(device, dtype, fn, isa);
  }
};

}  // namespace bcl
