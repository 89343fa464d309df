// Kernel tables for batch normalisation (tensor/ops_batch_norm.cpp is the front-end).
//
// The front-end hands every kernel a contiguous x of shape [N, C, *], seen as [N, C, S] with S the
// product of the trailing dims (S = 1 for BatchNorm1d's [N, C]), and contiguous [C] tensors for the
// per-channel parameters and statistics. gamma and beta may be undefined (meaning 1 and 0), and so
// may the running statistics of the training kernels (meaning: no update). Outputs are allocated by
// the front-end in x's dtype.
#pragma once

#include <cstdint>

#include "tensor/dispatch.h"
#include "tensor/tensor.h"

namespace bcl {

struct BatchNormDims {
  int64_t n = 0, c = 0, s = 1;
};

inline BatchNormDims batch_norm_dims(const Shape& x_shape) {
  BatchNormDims d;
  d.n = x_shape[0];
  d.c = x_shape[1];
  for (size_t k = 2; k < x_shape.size(); ++k) d.s *= x_shape[k];
  return d;
}

// Writes out = gamma * (x - mean) * invstd + beta with the batch statistics, save_mean = mean and
// save_invstd = 1 / sqrt(var + eps) (var biased), then updates running_mean and running_var in
// place when they are defined (running_var with the unbiased variance).
using BatchNormTrainKernel = void (*)(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                      const Tensor& running_mean, const Tensor& running_var,
                                      double momentum, double eps, const Tensor& out,
                                      const Tensor& save_mean, const Tensor& save_invstd);
DispatchTable<BatchNormTrainKernel>& batch_norm_train_kernels();
DispatchTable<BatchNormTrainKernel>& batch_norm_train_reference_kernels();

// Writes out = gamma * (x - running_mean) / sqrt(running_var + eps) + beta.
using BatchNormEvalKernel = void (*)(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                     const Tensor& running_mean, const Tensor& running_var,
                                     double eps, const Tensor& out);
DispatchTable<BatchNormEvalKernel>& batch_norm_eval_kernels();

// Writes the three gradients of training mode (see raw::batch_norm_backward). grad_gamma and
// grad_beta are always written: they are the per-channel sums that grad_input needs anyway.
using BatchNormBackwardKernel = void (*)(const Tensor& grad_out, const Tensor& x,
                                         const Tensor& gamma, const Tensor& save_mean,
                                         const Tensor& save_invstd, const Tensor& grad_input,
                                         const Tensor& grad_gamma, const Tensor& grad_beta);
DispatchTable<BatchNormBackwardKernel>& batch_norm_backward_kernels();
DispatchTable<BatchNormBackwardKernel>& batch_norm_backward_reference_kernels();

}  // namespace bcl
