// Front-ends of batch normalisation: argument checks, output allocation, dispatch.
//
// grad_gamma and grad_beta are always returned by the backward, even when gamma and beta are
// undefined: they are then the gradients with respect to an implicit gamma = 1 and beta = 0, which
// the kernel computes anyway on its way to grad_input. The autograd layer drops them there.
#include "tensor/kernels/batch_norm.h"
#include "tensor/ops.h"

namespace bcl {

DispatchTable<BatchNormTrainKernel>& batch_norm_train_kernels() {
  static DispatchTable<BatchNormTrainKernel> table("batch_norm_train");
  return table;
}

DispatchTable<BatchNormTrainKernel>& batch_norm_train_reference_kernels() {
  static DispatchTable<BatchNormTrainKernel> table("batch_norm_train_reference");
  return table;
}

DispatchTable<BatchNormEvalKernel>& batch_norm_eval_kernels() {
  static DispatchTable<BatchNormEvalKernel> table("batch_norm_eval");
  return table;
}

DispatchTable<BatchNormBackwardKernel>& batch_norm_backward_kernels() {
  static DispatchTable<BatchNormBackwardKernel> table("batch_norm_backward");
  return table;
}

DispatchTable<BatchNormBackwardKernel>& batch_norm_backward_reference_kernels() {
  static DispatchTable<BatchNormBackwardKernel> table("batch_norm_backward_reference");
  return table;
}

namespace {

void check_input(const char* op, const Tensor& x) {
  BCL_CHECK(x.dim() >= 2, op, ": input must be [N, C, *], got shape ", shape_str(x.shape()));
  BCL_CHECK(is_floating(x.dtype()), op, ": input must be floating point, got ",
            dtype_name(x.dtype()));
}

// A per-channel tensor (gamma, beta, a statistic): undefined when optional, else [C] with x's
// dtype and device.
void check_channel_tensor(const char* op, const char* name, const Tensor& t, const Tensor& x,
                          bool optional) {
  if (!t.defined()) {
    BCL_CHECK(optional, op, ": ", name, " is required");
    return;
  }
  BCL_CHECK(t.shape() == Shape{x.size(1)}, op, ": ", name, " has shape ", shape_str(t.shape()),
            " but the input ", shape_str(x.shape()), " has ", x.size(1), " channels");
  BCL_CHECK(t.dtype() == x.dtype() && t.device() == x.device(), op, ": ", name, " is ",
            dtype_name(t.dtype()), " on ", device_name(t.device()), " but the input is ",
            dtype_name(x.dtype()), " on ", device_name(x.device()));
}

// Running statistics are updated in place, so they cannot be replaced by contiguous copies.
void check_running_stat(const char* op, const char* name, const Tensor& t, const Tensor& x) {
  check_channel_tensor(op, name, t, x, /*optional=*/true);
  BCL_CHECK(!t.defined() || t.is_contiguous(), op, ": ", name, " must be contiguous");
}

Tensor contiguous_if_defined(const Tensor& t) {
  return t.defined() ? raw::contiguous(t) : t;
}

raw::BatchNormOutput train_with(const DispatchTable<BatchNormTrainKernel>& kernels, const Tensor& x,
                                const Tensor& gamma, const Tensor& beta, const Tensor& running_mean,
                                const Tensor& running_var, double momentum, double eps) {
  const char* op = kernels.op();
  check_input(op, x);
  check_channel_tensor(op, "gamma", gamma, x, /*optional=*/true);
  check_channel_tensor(op, "beta", beta, x, /*optional=*/true);
  check_running_stat(op, "running_mean", running_mean, x);
  check_running_stat(op, "running_var", running_var, x);
  const BatchNormDims d = batch_norm_dims(x.shape());
  // The unbiased variance divides by M - 1 (and a single value has no spread to normalise by).
  BCL_CHECK(d.n * d.s > 1, op, ": expected more than 1 value per channel in training, got input ",
            shape_str(x.shape()));
  BCL_CHECK(eps > 0, op, ": eps must be positive, got ", eps);

  raw::BatchNormOutput r;
  r.out = empty(x.shape(), x.dtype(), x.device());
  r.save_mean = empty({d.c}, x.dtype(), x.device());
  r.save_invstd = empty({d.c}, x.dtype(), x.device());
  kernels.get(x.device(), x.dtype())(raw::contiguous(x), contiguous_if_defined(gamma),
                                     contiguous_if_defined(beta), running_mean, running_var,
                                     momentum, eps, r.out, r.save_mean, r.save_invstd);
  return r;
}

raw::BatchNormGrads backward_with(const DispatchTable<BatchNormBackwardKernel>& kernels,
                                  const Tensor& grad_out, const Tensor& x, const Tensor& gamma,
                                  const Tensor& save_mean, const Tensor& save_invstd) {
  const char* op = kernels.op();
  check_input(op, x);
  BCL_CHECK(grad_out.shape() == x.shape(), op, ": grad_out has shape ", shape_str(grad_out.shape()),
            " but the input has shape ", shape_str(x.shape()));
  BCL_CHECK(grad_out.dtype() == x.dtype() && grad_out.device() == x.device(), op, ": grad_out is ",
            dtype_name(grad_out.dtype()), " on ", device_name(grad_out.device()),
            " but the input is ", dtype_name(x.dtype()), " on ", device_name(x.device()));
  check_channel_tensor(op, "gamma", gamma, x, /*optional=*/true);
  check_channel_tensor(op, "save_mean", save_mean, x, /*optional=*/false);
  check_channel_tensor(op, "save_invstd", save_invstd, x, /*optional=*/false);

  const int64_t c = x.size(1);
  raw::BatchNormGrads r;
  r.grad_input = empty(x.shape(), x.dtype(), x.device());
  r.grad_gamma = empty({c}, x.dtype(), x.device());
  r.grad_beta = empty({c}, x.dtype(), x.device());
  kernels.get(x.device(), x.dtype())(raw::contiguous(grad_out), raw::contiguous(x),
                                     contiguous_if_defined(gamma), raw::contiguous(save_mean),
                                     raw::contiguous(save_invstd), r.grad_input, r.grad_gamma,
                                     r.grad_beta);
  return r;
}

}  // namespace

namespace raw {

BatchNormOutput batch_norm_train(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                 const Tensor& running_mean, const Tensor& running_var,
                                 double momentum, double eps) {
  return train_with(batch_norm_train_kernels(), x, gamma, beta, running_mean, running_var, momentum,
                    eps);
}

BatchNormOutput batch_norm_train_reference(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                           const Tensor& running_mean, const Tensor& running_var,
                                           double momentum, double eps) {
  return train_with(batch_norm_train_reference_kernels(), x, gamma, beta, running_mean, running_var,
                    momentum, eps);
}

Tensor batch_norm_eval(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                       const Tensor& running_mean, const Tensor& running_var, double eps) {
  const char* op = "batch_norm_eval";
  check_input(op, x);
  check_channel_tensor(op, "gamma", gamma, x, /*optional=*/true);
  check_channel_tensor(op, "beta", beta, x, /*optional=*/true);
  check_channel_tensor(op, "running_mean", running_mean, x, /*optional=*/false);
  check_channel_tensor(op, "running_var", running_var, x, /*optional=*/false);
  BCL_CHECK(eps > 0, op, ": eps must be positive, got ", eps);

  Tensor out = empty(x.shape(), x.dtype(), x.device());
  batch_norm_eval_kernels().get(x.device(), x.dtype())(
      contiguous(x), contiguous_if_defined(gamma), contiguous_if_defined(beta),
      contiguous(running_mean), contiguous(running_var), eps, out);
  return out;
}

BatchNormGrads batch_norm_backward(const Tensor& grad_out, const Tensor& x, const Tensor& gamma,
                                   const Tensor& save_mean, const Tensor& save_invstd) {
  return backward_with(batch_norm_backward_kernels(), grad_out, x, gamma, save_mean, save_invstd);
}

BatchNormGrads batch_norm_backward_reference(const Tensor& grad_out, const Tensor& x,
                                             const Tensor& gamma, const Tensor& save_mean,
                                             const Tensor& save_invstd) {
  return backward_with(batch_norm_backward_reference_kernels(), grad_out, x, gamma, save_mean,
                       save_invstd);
}

}  // namespace raw
}  // namespace bcl
