// Kernel tables for the reductions (tensor/ops_reduce.cpp is the front-end).
//
// A kernel reduces the middle dim of a contiguous x of shape [outer, n, inner]. The front-end
// brings any set of reduced dims to that form: each run of consecutive reduced dims is one pass.
#pragma once

#include <vector>

#include "tensor/dispatch.h"
#include "tensor/op_params.h"
#include "tensor/tensor.h"

namespace bcl {

// out[o, i] = scale * sum_k x[o, k, i]; out is contiguous [outer, inner]. The sum of each output
// runs over k in order (float32 accumulates in double), whatever the thread count.
using SumKernel = void (*)(const Tensor& x, const Tensor& out, double scale);
DispatchTable<SumKernel>& sum_kernels();

// values[o, i] = max_k x[o, k, i] and indices[o, i] = the first such k (Int64); a NaN counts as
// the maximum. values and indices are contiguous [outer, inner]; n > 0.
using MaxKernel = void (*)(const Tensor& x, const Tensor& values, const Tensor& indices);
DispatchTable<MaxKernel>& max_kernels();

}  // namespace bcl
