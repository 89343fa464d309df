// Kernel tables for the reductions (tensor/ops_reduce.cpp is the front-end), and the shape rules
// that the differentiable reductions in autograd/ share.
//
// A kernel reduces the middle dim of a contiguous x of shape [outer, n, inner]. The front-end
// brings any set of reduced dims to that form: each run of consecutive reduced dims is one pass.
#pragma once

#include <vector>

#include "tensor/dispatch.h"
#include "tensor/ops.h"

namespace bcl {

// out[o, i] = scale * sum_k x[o, k, i]; out is contiguous [outer, inner]. The sum of each output
// runs over k in order (float32 accumulates in double), whatever the thread count.
using SumKernel = void (*)(const Tensor& x, const Tensor& out, double scale);
DispatchTable<SumKernel>& sum_kernels();

// values[o, i] = max_k x[o, k, i] and indices[o, i] = the first such k (Int64); a NaN counts as
// the maximum. values and indices are contiguous [outer, inner]; n > 0.
using MaxKernel = void (*)(const Tensor& x, const Tensor& values, const Tensor& indices);
DispatchTable<MaxKernel>& max_kernels();

// Which of ndim dims `dims` names (all of them when dims is empty), negative dims counting from
// the end. A dim out of range or named twice throws naming `op`.
std::vector<bool> reduced_dims(int64_t ndim, const std::vector<int64_t>& dims, const char* op);
// The shape of a reduction of `shape` over `dims`: reduced dims become 1 (keepdim) or go away.
Shape reduced_shape(const Shape& shape, const std::vector<int64_t>& dims, bool keepdim,
                    const char* op);

}  // namespace bcl
