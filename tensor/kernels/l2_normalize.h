// Kernel table of l2_normalize (tensor/ops_l2_normalize.cpp is the front-end): L2 normalisation
// along the last dim and its backward.
//
// The front-end checks shapes, dtypes and devices, and hands the kernels contiguous tensors;
// outputs are freshly allocated contiguous tensors.
#pragma once

#include "tensor/dispatch.h"
#include "tensor/op_params.h"
#include "tensor/tensor.h"

namespace bcl {

using L2NormalizeKernel = void (*)(const Tensor& x, int64_t rows, int64_t n, double eps,
                                   const Tensor& out, const Tensor& denom);
DispatchTable<L2NormalizeKernel>& l2_normalize_kernels();

// grad_out and y seen as [rows, n], denom [rows]; writes grad_in [rows, n].
using L2NormalizeBackwardKernel = void (*)(const Tensor& grad_out, const Tensor& y,
                                           const Tensor& denom, int64_t rows, int64_t n, double eps,
                                           const Tensor& grad_in);
DispatchTable<L2NormalizeBackwardKernel>& l2_normalize_backward_kernels();

}  // namespace bcl
