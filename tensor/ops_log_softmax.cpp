// Front-ends of log_softmax and its backward.
#include "tensor/kernels/log_softmax.h"
#include "tensor/ops.h"

namespace bcl {

DispatchTable<LogSoftmaxKernel>& log_softmax_kernels() {
  static DispatchTable<LogSoftmaxKernel> table("log_softmax");
  return table;
}

DispatchTable<LogSoftmaxBackwardKernel>& log_softmax_backward_kernels() {
  static DispatchTable<LogSoftmaxBackwardKernel> table("log_softmax_backward");
  return table;
}

namespace raw {

Tensor log_softmax(const Tensor& x, int64_t dim) {
  BCL_CHECK(x.dim() >= 1, "log_softmax: input must have at least 1 dim, got shape ",
            shape_str(x.shape()));
  BCL_CHECK(is_floating(x.dtype()), "log_softmax: input must be floating point, got ",
            dtype_name(x.dtype()));
  const int64_t d = normalize_dim(dim, x.dim(), "log_softmax");
  Tensor out = empty(x.shape(), x.dtype(), x.device());
  log_softmax_kernels().get(x.device(), x.dtype())(contiguous(x), dim_geometry(x.shape(), d), out);
  return out;
}

Tensor log_softmax_backward(const Tensor& grad_out, const Tensor& y, int64_t dim) {
  BCL_CHECK(grad_out.shape() == y.shape(), "log_softmax_backward: grad_out has shape ",
            shape_str(grad_out.shape()), " but the output has shape ", shape_str(y.shape()));
  BCL_CHECK(grad_out.dtype() == y.dtype() && grad_out.device() == y.device(),
            "log_softmax_backward: grad_out is ", dtype_name(grad_out.dtype()), " on ",
            device_name(grad_out.device()), " but the output is ", dtype_name(y.dtype()), " on ",
            device_name(y.device()));
  BCL_CHECK(y.dim() >= 1, "log_softmax_backward: output must have at least 1 dim, got shape ",
            shape_str(y.shape()));
  const int64_t d = normalize_dim(dim, y.dim(), "log_softmax_backward");
  Tensor grad_in = empty(y.shape(), y.dtype(), y.device());
  log_softmax_backward_kernels().get(y.device(), y.dtype())(contiguous(grad_out), contiguous(y),
                                                            dim_geometry(y.shape(), d), grad_in);
  return grad_in;
}

}  // namespace raw
}  // namespace bcl
