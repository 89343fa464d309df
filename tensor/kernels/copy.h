// Kernel tables for copies and fills (tensor/ops_copy.cpp is the front-end).
#pragma once

#include "tensor/dispatch.h"
#include "tensor/tensor.h"

namespace bcl {

// dst[i] = convert(src[i]); src has dst's shape (broadcast dims have stride 0) and dst's device.
// Keyed by dst's dtype.
using CopyKernel = void (*)(const Tensor& dst, const Tensor& src);
DispatchTable<CopyKernel>& copy_kernels();

// x[i] = value.
using FillKernel = void (*)(const Tensor& x, double value);
DispatchTable<FillKernel>& fill_kernels();

}  // namespace bcl
