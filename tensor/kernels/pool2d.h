// Kernel tables for 2-D pooling (tensor/ops_pool2d.cpp is the front-end).
//
// The front-end validates the geometry and hands every kernel contiguous tensors: x / grad_in
// [N, C, H, W] and out / grad_out / indices [N, C, Ho, Wo]. Each of the N*C planes is pooled on its
// own. Kernels overwrite their outputs completely. Padding is at most half the kernel, so every
// window overlaps the input.
#pragma once

#include <cstdint>

#include "tensor/dispatch.h"
#include "tensor/op_params.h"
#include "tensor/tensor.h"

namespace bcl {

using raw::Pool2dParams;

// The sizes of one pooling, read off its input and output shapes.
struct Pool2dDims {
  int64_t planes = 0;  // N * C
  int64_t h = 0, w = 0;
  int64_t ho = 0, wo = 0;
};

inline Pool2dDims pool2d_dims(const Shape& x, const Shape& y) {
  return {x[0] * x[1], x[2], x[3], y[2], y[3]};
}

// out = the maximum of each window; indices (Int64) = its flat position h * W + w in the plane.
using MaxPool2dKernel = void (*)(const Tensor& x, const Tensor& out, const Tensor& indices,
                                 const Pool2dParams& p);
DispatchTable<MaxPool2dKernel>& max_pool2d_kernels();

// grad_in = 0, then grad_in[plane, indices[plane, k]] += grad_out[plane, k]. Keyed by grad_out's
// dtype.
using MaxPool2dBackwardKernel = void (*)(const Tensor& grad_out, const Tensor& indices,
                                         const Tensor& grad_in);
DispatchTable<MaxPool2dBackwardKernel>& max_pool2d_backward_kernels();

// out = the sum of each window / (kernel_h * kernel_w), padding counted as zeros.
using AvgPool2dKernel = void (*)(const Tensor& x, const Tensor& out, const Pool2dParams& p);
DispatchTable<AvgPool2dKernel>& avg_pool2d_kernels();

// grad_in = the adjoint of avg_pool2d applied to grad_out.
using AvgPool2dBackwardKernel = void (*)(const Tensor& grad_out, const Tensor& grad_in,
                                         const Pool2dParams& p);
DispatchTable<AvgPool2dBackwardKernel>& avg_pool2d_backward_kernels();

}  // namespace bcl
