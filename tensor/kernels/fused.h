// Kernel tables of the fused ops (tensor/ops_fused.cpp is the front-end): the cross-entropy
// forward and backward, L2 normalisation along the last dim and its backward, and the SGD step.
//
// The front-end checks shapes, dtypes and devices and the label values, and hands the kernels
// contiguous tensors; outputs are freshly allocated contiguous tensors.
#pragma once

#include "tensor/dispatch.h"
#include "tensor/ops.h"

namespace bcl {

// logits [N, C], labels [N] (Int64, values already checked in [0, C)), offset [C] or undefined;
// writes nll, row_max and log_sum, each [N] (see raw::cross_entropy_forward).
using CrossEntropyForwardKernel = void (*)(const Tensor& logits, const Tensor& labels,
                                           const Tensor& offset, const Tensor& nll,
                                           const Tensor& row_max, const Tensor& log_sum);
DispatchTable<CrossEntropyForwardKernel>& cross_entropy_forward_kernels();

// grad has 1 or N elements (row i reads grad[numel == 1 ? 0 : i]); writes grad_logits [N, C].
using CrossEntropyBackwardKernel = void (*)(const Tensor& grad, double scale, const Tensor& logits,
                                            const Tensor& labels, const Tensor& offset,
                                            const Tensor& row_max, const Tensor& log_sum,
                                            const Tensor& grad_logits);
DispatchTable<CrossEntropyBackwardKernel>& cross_entropy_backward_kernels();

// x seen as [rows, n] (n = the last dim); writes out [rows, n] and denom [rows].
using L2NormalizeKernel = void (*)(const Tensor& x, int64_t rows, int64_t n, double eps,
                                   const Tensor& out, const Tensor& denom);
DispatchTable<L2NormalizeKernel>& l2_normalize_kernels();

// grad_out and y seen as [rows, n], denom [rows]; writes grad_in [rows, n].
using L2NormalizeBackwardKernel = void (*)(const Tensor& grad_out, const Tensor& y,
                                           const Tensor& denom, int64_t rows, int64_t n, double eps,
                                           const Tensor& grad_in);
DispatchTable<L2NormalizeBackwardKernel>& l2_normalize_backward_kernels();

// param, grad and (when s.momentum != 0) momentum_buf have one shape; all contiguous.
using SgdStepKernel = void (*)(const Tensor& param, const Tensor& grad, const Tensor& momentum_buf,
                               const raw::SgdStepParams& s);
DispatchTable<SgdStepKernel>& sgd_step_kernels();

}  // namespace bcl
