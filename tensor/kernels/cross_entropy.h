// Kernel table of cross_entropy (tensor/ops_cross_entropy.cpp is the front-end): the forward
// and the backward of the cross-entropy with an optional logit offset.
//
// The front-end checks shapes, dtypes and devices, and hands the kernels contiguous tensors;
// outputs are freshly allocated contiguous tensors.
#pragma once

#include "tensor/dispatch.h"
#include "tensor/op_params.h"
#include "tensor/tensor.h"

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

}  // namespace bcl
