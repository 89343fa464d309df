// Front-ends of 2-D max and average pooling and their backward passes.
#include "tensor/kernels/pool2d.h"
#include "tensor/ops.h"

namespace bcl {

DispatchTable<MaxPool2dKernel>& max_pool2d_kernels() {
  static DispatchTable<MaxPool2dKernel> table("max_pool2d");
  return table;
}
DispatchTable<MaxPool2dBackwardKernel>& max_pool2d_backward_kernels() {
  static DispatchTable<MaxPool2dBackwardKernel> table("max_pool2d_backward");
  return table;
}
DispatchTable<AvgPool2dKernel>& avg_pool2d_kernels() {
  static DispatchTable<AvgPool2dKernel> table("avg_pool2d");
  return table;
}
DispatchTable<AvgPool2dBackwardKernel>& avg_pool2d_backward_kernels() {
  static DispatchTable<AvgPool2dBackwardKernel> table("avg_pool2d_backward");
  return table;
}

namespace {

// Checks the pooling of an x_shape input and returns the output shape [N, C, Ho, Wo] with
// Ho = (H + 2 pad_h - kernel_h) / stride_h + 1 (rounded down, as PyTorch's ceil_mode=False).
Shape pool2d_output_shape(const char* op, const Shape& x, const Pool2dParams& p) {
  BCL_CHECK(x.size() == 4, op, ": expected input [N, C, H, W], got ", shape_str(x));
  BCL_CHECK(p.kernel_h >= 1 && p.kernel_w >= 1 && p.stride_h >= 1 && p.stride_w >= 1 &&
                p.pad_h >= 0 && p.pad_w >= 0,
            op, ": invalid kernel (", p.kernel_h, ", ", p.kernel_w, "), stride (", p.stride_h, ", ",
            p.stride_w, ") or padding (", p.pad_h, ", ", p.pad_w, ")");
  // As in PyTorch: more padding could make a window all padding.
  BCL_CHECK(p.pad_h <= p.kernel_h / 2 && p.pad_w <= p.kernel_w / 2, op, ": padding (", p.pad_h,
            ", ", p.pad_w, ") is more than half the kernel (", p.kernel_h, ", ", p.kernel_w, ")");
  const int64_t span_h = x[2] + 2 * p.pad_h - p.kernel_h, span_w = x[3] + 2 * p.pad_w - p.kernel_w;
  BCL_CHECK(span_h >= 0 && span_w >= 0, op, ": output size would be empty: input ", shape_str(x),
            " padded by (", p.pad_h, ", ", p.pad_w, ") is smaller than the kernel (", p.kernel_h,
            ", ", p.kernel_w, ")");
  return {x[0], x[1], span_h / p.stride_h + 1, span_w / p.stride_w + 1};
}

void check_floating(const char* op, const Tensor& t) {
  BCL_CHECK(is_floating(t.dtype()), op, ": expected a floating tensor, got ",
            dtype_name(t.dtype()));
}

}  // namespace

namespace raw {

MaxPoolOutput max_pool2d(const Tensor& x, const Pool2dParams& p) {
  const Shape out_shape = pool2d_output_shape("max_pool2d", x.shape(), p);
  check_floating("max_pool2d", x);
  MaxPoolOutput r{empty(out_shape, x.dtype(), x.device()),
                  empty(out_shape, DType::Int64, x.device())};
  if (r.out.numel() == 0) return r;
  max_pool2d_kernels().get(x.device(), x.dtype())(contiguous(x), r.out, r.indices, p);
  return r;
}

Tensor max_pool2d_backward(const Tensor& grad_out, const Tensor& indices, const Shape& x_shape) {
  const char* op = "max_pool2d_backward";
  check_floating(op, grad_out);
  BCL_CHECK(x_shape.size() == 4 && grad_out.dim() == 4 && grad_out.size(0) == x_shape[0] &&
                grad_out.size(1) == x_shape[1],
            op, ": grad_out ", shape_str(grad_out.shape()), " does not pool input ",
            shape_str(x_shape));
  BCL_CHECK(indices.dtype() == DType::Int64 && indices.shape() == grad_out.shape() &&
                indices.device() == grad_out.device(),
            op, ": indices must be Int64 of grad_out's shape ", shape_str(grad_out.shape()),
            " on its device, got ", dtype_name(indices.dtype()), " ", shape_str(indices.shape()));
  Tensor grad_in = empty(x_shape, grad_out.dtype(), grad_out.device());
  if (grad_in.numel() == 0) return grad_in;
  max_pool2d_backward_kernels().get(grad_out.device(), grad_out.dtype())(
      contiguous(grad_out), contiguous(indices), grad_in);
  return grad_in;
}

Tensor avg_pool2d(const Tensor& x, const Pool2dParams& p) {
  const Shape out_shape = pool2d_output_shape("avg_pool2d", x.shape(), p);
  check_floating("avg_pool2d", x);
  Tensor out = empty(out_shape, x.dtype(), x.device());
  if (out.numel() == 0) return out;
  avg_pool2d_kernels().get(x.device(), x.dtype())(contiguous(x), out, p);
  return out;
}

Tensor avg_pool2d_backward(const Tensor& grad_out, const Shape& x_shape, const Pool2dParams& p) {
  const char* op = "avg_pool2d_backward";
  const Shape out_shape = pool2d_output_shape(op, x_shape, p);
  check_floating(op, grad_out);
  BCL_CHECK(grad_out.shape() == out_shape, op, ": grad_out has shape ", shape_str(grad_out.shape()),
            " but pooling ", shape_str(x_shape), " gives ", shape_str(out_shape));
  Tensor grad_in = empty(x_shape, grad_out.dtype(), grad_out.device());
  if (grad_in.numel() == 0) return grad_in;
  avg_pool2d_backward_kernels().get(grad_out.device(), grad_out.dtype())(contiguous(grad_out),
                                                                         grad_in, p);
  return grad_in;
}

}  // namespace raw
}  // namespace bcl
