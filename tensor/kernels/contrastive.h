// Kernel tables of the fused contrastive-loss ops (tensor/ops_contrastive.cpp is the front-end):
// the per-class column counts, the forward and the backward of raw::contrastive_forward.
//
// The front-end checks shapes, dtypes, devices and (for CPU labels) the label values, and hands
// the kernels contiguous tensors; outputs are freshly allocated contiguous tensors. In each kernel
// M = logits.size(0) anchors, K = logits.size(1) columns, N = labels.size(0) images (N divides M),
// C = class_count.size(0) classes (K = M + C; class_count undefined and K = M when C = 0), and
// the label of column k is labels[k mod N] for k < M (an anchor) and k - M otherwise (a prototype).
#pragma once

#include "tensor/dispatch.h"
#include "tensor/op_params.h"
#include "tensor/tensor.h"

namespace bcl {

// labels [N] Int64, views V; writes class_count [C] (the logits' dtype): n_j = V |{n : y_n = j}|
// + 1. Registered under the dtype of class_count.
using ContrastiveClassCountKernel = void (*)(const Tensor& labels, int64_t views,
                                             const Tensor& class_count);
DispatchTable<ContrastiveClassCountKernel>& contrastive_class_count_kernels();

// logits [M, K], labels [N], class_count [C] or undefined; writes loss, row_max, log_denom and
// positives, each [M] (see raw::contrastive_forward).
using ContrastiveForwardKernel = void (*)(const Tensor& logits, const Tensor& labels,
                                          const Tensor& class_count, const Tensor& loss,
                                          const Tensor& row_max, const Tensor& log_denom,
                                          const Tensor& positives);
DispatchTable<ContrastiveForwardKernel>& contrastive_forward_kernels();

// grad [M] and the saved parts; writes grad_logits [M, K] (see raw::contrastive_backward).
using ContrastiveBackwardKernel = void (*)(const Tensor& grad, const Tensor& logits,
                                           const Tensor& labels, const Tensor& class_count,
                                           const Tensor& row_max, const Tensor& log_denom,
                                           const Tensor& positives, const Tensor& grad_logits);
DispatchTable<ContrastiveBackwardKernel>& contrastive_backward_kernels();

}  // namespace bcl
