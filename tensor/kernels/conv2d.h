// Kernel tables for 2-D convolution (tensor/ops_conv2d.cpp is the front-end).
//
// The front-end validates the geometry and hands every kernel contiguous tensors: x [N, C, H, W],
// w [O, C/groups, kh, kw], grad_out / out [N, O, Ho, Wo], and bias [O] or undefined. Kernels
// overwrite their output tensor completely. Only problems with a non-empty output and with
// C, kh, kw >= 1 reach them.
#pragma once

#include <cstdint>

#include "tensor/dispatch.h"
#include "tensor/op_params.h"
#include "tensor/tensor.h"

namespace bcl {

using raw::Conv2dParams;

// The sizes of one convolution, read off its three tensors.
struct Conv2dDims {
  int64_t n = 0, c = 0, h = 0, w = 0;  // input [N, C, H, W]
  int64_t o = 0, kh = 0, kw = 0;       // weight [O, C/groups, kh, kw]
  int64_t ho = 0, wo = 0;              // output [N, O, Ho, Wo]
};

inline Conv2dDims conv2d_dims(const Shape& x, const Shape& w, const Shape& y) {
  return {x[0], x[1], x[2], x[3], w[0], w[2], w[3], y[2], y[3]};
}

// out = conv2d(x, w) + bias.
using Conv2dKernel = void (*)(const Tensor& x, const Tensor& w, const Tensor& bias,
                              const Tensor& out, const Conv2dParams& p);
DispatchTable<Conv2dKernel>& conv2d_kernels();
DispatchTable<Conv2dKernel>& conv2d_reference_kernels();

// grad_in [N, C, H, W] = dL/dx given grad_out = dL/dy.
using Conv2dBackwardInputKernel = void (*)(const Tensor& grad_out, const Tensor& w,
                                           const Tensor& grad_in, const Conv2dParams& p);
DispatchTable<Conv2dBackwardInputKernel>& conv2d_backward_input_kernels();
DispatchTable<Conv2dBackwardInputKernel>& conv2d_backward_input_reference_kernels();

// grad_w [O, C/groups, kh, kw] = dL/dw given grad_out = dL/dy.
using Conv2dBackwardWeightKernel = void (*)(const Tensor& grad_out, const Tensor& x,
                                            const Tensor& grad_w, const Conv2dParams& p);
DispatchTable<Conv2dBackwardWeightKernel>& conv2d_backward_weight_kernels();
DispatchTable<Conv2dBackwardWeightKernel>& conv2d_backward_weight_reference_kernels();

}  // namespace bcl
