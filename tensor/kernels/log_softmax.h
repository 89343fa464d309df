// Kernel tables for log_softmax (tensor/ops_log_softmax.cpp is the front-end).
//
// The front-end hands the kernels contiguous tensors seen as [outer, size, inner] around the
// softmax dim (see dim_geometry.h); each (outer, inner) pair is one independent line of `size`
// elements, `inner` apart.
#pragma once

#include "tensor/dispatch.h"
#include "tensor/kernels/dim_geometry.h"
#include "tensor/tensor.h"

namespace bcl {

// out = x - max - log sum exp(x - max), per line.
using LogSoftmaxKernel = void (*)(const Tensor& x, const DimGeometry& g, const Tensor& out);
DispatchTable<LogSoftmaxKernel>& log_softmax_kernels();

// grad_in = grad_out - exp(y) * sum(grad_out), per line, for y = log_softmax(x).
using LogSoftmaxBackwardKernel = void (*)(const Tensor& grad_out, const Tensor& y,
                                          const DimGeometry& g, const Tensor& grad_in);
DispatchTable<LogSoftmaxBackwardKernel>& log_softmax_backward_kernels();

}  // namespace bcl
