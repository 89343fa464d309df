// Front-end of sgd_step: one torch.optim.SGD step on a parameter, in place.
#include "tensor/kernels/sgd_step.h"
#include "tensor/op_checks.h"
#include "tensor/ops.h"

namespace bcl {

DispatchTable<SgdStepKernel>& sgd_step_kernels() {
  static DispatchTable<SgdStepKernel> table("sgd_step_");
  return table;
}

namespace raw {

void sgd_step_(const Tensor& param, const Tensor& grad, const Tensor& momentum_buf,
               const SgdStepParams& s) {
  const char* op = "sgd_step_";
  BCL_CHECK(param.defined() && is_floating(param.dtype()), op,
            ": the parameter must be a floating point tensor");
  BCL_CHECK(param.is_contiguous(), op,
            ": the parameter must be contiguous (it is updated in place)");
  BCL_CHECK(grad.defined() && grad.shape() == param.shape(), op, ": grad has shape ",
            grad.defined() ? shape_str(grad.shape()) : "undefined", " but the parameter ",
            shape_str(param.shape()));
  check_like(op, "grad", grad, param);
  BCL_CHECK(!s.nesterov || s.momentum != 0, op, ": nesterov needs momentum != 0");
  if (s.momentum != 0) {
    BCL_CHECK(momentum_buf.defined() && momentum_buf.shape() == param.shape() &&
                  momentum_buf.is_contiguous(),
              op, ": the momentum buffer must be contiguous with the parameter's shape ",
              shape_str(param.shape()));
    check_like(op, "the momentum buffer", momentum_buf, param);
  }
  if (param.numel() == 0) return;
  sgd_step_kernels().get(param.device(), param.dtype())(param, contiguous(grad), momentum_buf, s);
}

}  // namespace raw
}  // namespace bcl
