// Kernel table of sgd_step (tensor/ops_sgd_step.cpp is the front-end): one torch.optim.SGD
// step on a parameter, in place.
//
// The front-end checks shapes, dtypes and devices, and hands the kernels contiguous tensors;
// outputs are freshly allocated contiguous tensors.
#pragma once

#include "tensor/dispatch.h"
#include "tensor/op_params.h"
#include "tensor/tensor.h"

namespace bcl {

using SgdStepKernel = void (*)(const Tensor& param, const Tensor& grad, const Tensor& momentum_buf,
                               const raw::SgdStepParams& s);
DispatchTable<SgdStepKernel>& sgd_step_kernels();

}  // namespace bcl
