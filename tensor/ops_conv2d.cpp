// Front-ends of 2-D convolution: the forward, its two backward products, and their oracles.
#include "tensor/kernels/conv2d.h"
#include "tensor/ops.h"

namespace bcl {

DispatchTable<Conv2dKernel>& conv2d_kernels() {
  static DispatchTable<Conv2dKernel> table("conv2d");
  return table;
}
DispatchTable<Conv2dKernel>& conv2d_reference_kernels() {
  static DispatchTable<Conv2dKernel> table("conv2d_reference");
  return table;
}
DispatchTable<Conv2dBackwardInputKernel>& conv2d_backward_input_kernels() {
  static DispatchTable<Conv2dBackwardInputKernel> table("conv2d_backward_input");
  return table;
}
DispatchTable<Conv2dBackwardInputKernel>& conv2d_backward_input_reference_kernels() {
  static DispatchTable<Conv2dBackwardInputKernel> table("conv2d_backward_input_reference");
  return table;
}
DispatchTable<Conv2dBackwardWeightKernel>& conv2d_backward_weight_kernels() {
  static DispatchTable<Conv2dBackwardWeightKernel> table("conv2d_backward_weight");
  return table;
}
DispatchTable<Conv2dBackwardWeightKernel>& conv2d_backward_weight_reference_kernels() {
  static DispatchTable<Conv2dBackwardWeightKernel> table("conv2d_backward_weight_reference");
  return table;
}

namespace {

// Checks the geometry of a convolution of an x_shape input with a w_shape weight and returns the
// output shape [N, O, Ho, Wo].
Shape conv2d_output_shape(const char* op, const Shape& x, const Shape& w, const Conv2dParams& p) {
  BCL_CHECK(x.size() == 4 && w.size() == 4, op,
            ": expected input [N, C, H, W] and weight [O, C/groups, kh, kw], got ", shape_str(x),
            " and ", shape_str(w));
  BCL_CHECK(p.stride_h >= 1 && p.stride_w >= 1 && p.pad_h >= 0 && p.pad_w >= 0 && p.groups >= 1, op,
            ": invalid stride (", p.stride_h, ", ", p.stride_w, "), padding (", p.pad_h, ", ",
            p.pad_w, ") or groups ", p.groups);
  BCL_CHECK(x[1] >= 1 && w[2] >= 1 && w[3] >= 1, op, ": input ", shape_str(x), " and weight ",
            shape_str(w), " need at least one channel and a non-empty kernel");
  BCL_CHECK(x[1] % p.groups == 0, op, ": input channels of ", shape_str(x),
            " are not divisible by groups = ", p.groups);
  BCL_CHECK(w[0] % p.groups == 0, op, ": output channels of weight ", shape_str(w),
            " are not divisible by groups = ", p.groups);
  BCL_CHECK(w[1] * p.groups == x[1], op, ": weight ", shape_str(w), " with groups = ", p.groups,
            " expects ", w[1] * p.groups, " input channels, but the input is ", shape_str(x));
  const int64_t span_h = x[2] + 2 * p.pad_h - w[2], span_w = x[3] + 2 * p.pad_w - w[3];
  BCL_CHECK(span_h >= 0 && span_w >= 0, op, ": output size would be empty: input ", shape_str(x),
            " padded by (", p.pad_h, ", ", p.pad_w, ") is smaller than the kernel of weight ",
            shape_str(w));
  return {x[0], w[0], span_h / p.stride_h + 1, span_w / p.stride_w + 1};
}

// The tensors of one convolution share a floating dtype and a device.
void check_pair(const char* op, const char* a_name, const Tensor& a, const char* b_name,
                const Tensor& b) {
  BCL_CHECK(is_floating(a.dtype()) && a.dtype() == b.dtype() && a.device() == b.device(), op, ": ",
            a_name, " is ", dtype_name(a.dtype()), " on ", device_name(a.device()), " and ", b_name,
            " is ", dtype_name(b.dtype()), " on ", device_name(b.device()),
            "; expected one floating dtype on one device");
}

void check_grad_out(const char* op, const Tensor& grad_out, const Shape& expected) {
  BCL_CHECK(grad_out.shape() == expected, op, ": grad_out has shape ", shape_str(grad_out.shape()),
            " but the convolution's output has shape ", shape_str(expected));
}

Tensor conv2d_forward(const char* op, const DispatchTable<Conv2dKernel>& kernels, const Tensor& x,
                      const Tensor& w, const Tensor& bias, const Conv2dParams& p) {
  const Shape out_shape = conv2d_output_shape(op, x.shape(), w.shape(), p);
  check_pair(op, "input", x, "weight", w);
  if (bias.defined()) {
    check_pair(op, "input", x, "bias", bias);
    BCL_CHECK(bias.dim() == 1 && bias.size(0) == w.size(0), op, ": bias ", shape_str(bias.shape()),
              " does not match weight ", shape_str(w.shape()));
  }
  Tensor out = empty(out_shape, x.dtype(), x.device());
  if (out.numel() == 0) return out;
  kernels.get(x.device(), x.dtype())(raw::contiguous(x), raw::contiguous(w),
                                     bias.defined() ? raw::contiguous(bias) : bias, out, p);
  return out;
}

Tensor conv2d_input_grad(const char* op, const DispatchTable<Conv2dBackwardInputKernel>& kernels,
                         const Tensor& grad_out, const Tensor& w, const Shape& x_shape,
                         const Conv2dParams& p) {
  check_grad_out(op, grad_out, conv2d_output_shape(op, x_shape, w.shape(), p));
  check_pair(op, "grad_out", grad_out, "weight", w);
  Tensor grad_in = empty(x_shape, w.dtype(), w.device());
  if (grad_out.numel() == 0) {  // no output, no gradient
    raw::fill_(grad_in, 0.0);
    return grad_in;
  }
  kernels.get(w.device(), w.dtype())(raw::contiguous(grad_out), raw::contiguous(w), grad_in, p);
  return grad_in;
}

Tensor conv2d_weight_grad(const char* op, const DispatchTable<Conv2dBackwardWeightKernel>& kernels,
                          const Tensor& grad_out, const Tensor& x, const Shape& w_shape,
                          const Conv2dParams& p) {
  check_grad_out(op, grad_out, conv2d_output_shape(op, x.shape(), w_shape, p));
  check_pair(op, "grad_out", grad_out, "input", x);
  Tensor grad_w = empty(w_shape, x.dtype(), x.device());
  if (grad_out.numel() == 0) {  // an empty batch contributes nothing
    raw::fill_(grad_w, 0.0);
    return grad_w;
  }
  kernels.get(x.device(), x.dtype())(raw::contiguous(grad_out), raw::contiguous(x), grad_w, p);
  return grad_w;
}

}  // namespace

namespace raw {

Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor& bias, const Conv2dParams& p) {
  return conv2d_forward("conv2d", conv2d_kernels(), x, w, bias, p);
}

Tensor conv2d_backward_input(const Tensor& grad_out, const Tensor& w, const Shape& x_shape,
                             const Conv2dParams& p) {
  return conv2d_input_grad("conv2d_backward_input", conv2d_backward_input_kernels(), grad_out, w,
                           x_shape, p);
}

Tensor conv2d_backward_weight(const Tensor& grad_out, const Tensor& x, const Shape& w_shape,
                              const Conv2dParams& p) {
  return conv2d_weight_grad("conv2d_backward_weight", conv2d_backward_weight_kernels(), grad_out, x,
                            w_shape, p);
}

Tensor conv2d_reference(const Tensor& x, const Tensor& w, const Tensor& bias,
                        const Conv2dParams& p) {
  return conv2d_forward("conv2d_reference", conv2d_reference_kernels(), x, w, bias, p);
}

Tensor conv2d_backward_input_reference(const Tensor& grad_out, const Tensor& w,
                                       const Shape& x_shape, const Conv2dParams& p) {
  return conv2d_input_grad("conv2d_backward_input_reference",
                           conv2d_backward_input_reference_kernels(), grad_out, w, x_shape, p);
}

Tensor conv2d_backward_weight_reference(const Tensor& grad_out, const Tensor& x,
                                        const Shape& w_shape, const Conv2dParams& p) {
  return conv2d_weight_grad("conv2d_backward_weight_reference",
                            conv2d_backward_weight_reference_kernels(), grad_out, x, w_shape, p);
}

}  // namespace raw
}  // namespace bcl
