// Dispatch: every op owns one table of kernels keyed by (device, dtype).
//
// A kernel file registers itself beside its twins, e.g. in tensor/kernels/elementwise.cpp
//   static const KernelRegistrar reg(binary_kernels(), Device::CPU, DType::Float32,
//   &binary_cpu<float>);
// and tensor/kernels/elementwise.cu registers the Device::CUDA entries of the same table. The op
// front-end (validation, output allocation) looks the kernel up with get() and calls it.
#pragma once

#include "tensor/dtype.h"
#include "tensor/error.h"

namespace bcl {

template <class Fn>
class DispatchTable {
 public:
  explicit DispatchTable(const char* op) : op_(op) {}

  void set(Device device, DType dtype, Fn fn) {
    table_[static_cast<int>(device)][static_cast<int>(dtype)] = fn;
  }
  bool has(Device device, DType dtype) const {
    return table_[static_cast<int>(device)][static_cast<int>(dtype)] != nullptr;
  }
  Fn get(Device device, DType dtype) const {
    Fn fn = table_[static_cast<int>(device)][static_cast<int>(dtype)];
    BCL_CHECK(fn != nullptr, op_, ": no kernel for device ", device_name(device), " and dtype ",
              dtype_name(dtype));
    return fn;
  }
  const char* op() const { return op_; }

 private:
  const char* op_;
  Fn table_[kNumDevices][kNumDTypes] = {};
};

// Registers one kernel during static initialisation. Tables are function-local statics
// (e.g. `DispatchTable<BinaryKernel>& binary_kernels()`), so their order of construction is safe.
struct KernelRegistrar {
  template <class Fn>
  KernelRegistrar(DispatchTable<Fn>& table, Device device, DType dtype, Fn fn) {
    table.set(device, dtype, fn);
  }
};

}  // namespace bcl
