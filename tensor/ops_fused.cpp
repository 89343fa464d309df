// Front-ends of the fused ops: the cross-entropy forward and backward, L2 normalisation along the
// last dim and its backward, and the SGD step.
#include <utility>

#include "tensor/kernels/fused.h"
#include "tensor/ops.h"
#include "tensor/value_checks.h"

namespace bcl {

DispatchTable<CrossEntropyForwardKernel>& cross_entropy_forward_kernels() {
  static DispatchTable<CrossEntropyForwardKernel> table("cross_entropy_forward");
  return table;
}

DispatchTable<CrossEntropyBackwardKernel>& cross_entropy_backward_kernels() {
  static DispatchTable<CrossEntropyBackwardKernel> table("cross_entropy_backward");
  return table;
}

DispatchTable<L2NormalizeKernel>& l2_normalize_kernels() {
  static DispatchTable<L2NormalizeKernel> table("l2_normalize_last");
  return table;
}

DispatchTable<L2NormalizeBackwardKernel>& l2_normalize_backward_kernels() {
  static DispatchTable<L2NormalizeBackwardKernel> table("l2_normalize_last_backward");
  return table;
}

DispatchTable<SgdStepKernel>& sgd_step_kernels() {
  static DispatchTable<SgdStepKernel> table("sgd_step_");
  return table;
}

namespace {

// Same device and dtype as `like`, named in the message as `name` of `op`.
void check_like(const char* op, const char* name, const Tensor& t, const Tensor& like) {
  BCL_CHECK(t.dtype() == like.dtype() && t.device() == like.device(), op, ": ", name, " is ",
            dtype_name(t.dtype()), " on ", device_name(t.device()), " but expected ",
            dtype_name(like.dtype()), " on ", device_name(like.device()));
}

// What both cross-entropy front-ends check about logits, labels and offset.
void check_cross_entropy_args(const char* op, const Tensor& logits, const Tensor& labels,
                              const Tensor& offset) {
  BCL_CHECK(logits.dim() == 2, op, ": logits must be [N, C], got shape ",
            shape_str(logits.shape()));
  BCL_CHECK(is_floating(logits.dtype()), op, ": logits must be floating point, got ",
            dtype_name(logits.dtype()));
  const int64_t n = logits.size(0), c = logits.size(1);
  BCL_CHECK(labels.defined(), op, ": labels are undefined");
  BCL_CHECK(labels.shape() == Shape{n} && labels.dtype() == DType::Int64, op,
            ": labels must be int64 of shape [", n, "] for logits ", shape_str(logits.shape()),
            ", got ", dtype_name(labels.dtype()), " ", shape_str(labels.shape()));
  BCL_CHECK(labels.device() == logits.device(), op, ": labels are on ",
            device_name(labels.device()), " but logits on ", device_name(logits.device()));
  if (offset.defined()) {
    BCL_CHECK(offset.shape() == Shape{c}, op, ": offset must have shape [", c, "] for logits ",
              shape_str(logits.shape()), ", got ", shape_str(offset.shape()));
    check_like(op, "offset", offset, logits);
  }
}

// Every label in [0, c), read on the host. The message is raw::gather_labels' (the gather is part
// of the fused forward), so callers report bad labels as they did before the fusion. GPU labels
// are read only while gpu_value_checks() is on; without the check the kernels give a NaN loss for
// a bad label and never index with it.
void check_label_values(const Tensor& labels, int64_t c) {
  if (labels.device() != Device::CPU && !gpu_value_checks()) return;
  const Tensor host = labels.device() == Device::CPU ? raw::contiguous(labels)
                                                     : raw::to_device(labels, Device::CPU);
  const int64_t* y = host.data<int64_t>();
  for (int64_t i = 0; i < host.numel(); ++i) {
    BCL_CHECK(y[i] >= 0 && y[i] < c, "gather_labels: labels[", i, "] = ", y[i],
              " is out of range [0, ", c, ")");
  }
}

// The last dim's size and the number of rows before it (x.dim() >= 1).
std::pair<int64_t, int64_t> rows_and_last(const Shape& shape) {
  int64_t rows = 1;
  for (size_t d = 0; d + 1 < shape.size(); ++d) rows *= shape[d];
  return {rows, shape.back()};
}

Shape keep_last_as_one(Shape shape) {
  shape.back() = 1;
  return shape;
}

}  // namespace

namespace raw {

CrossEntropyParts cross_entropy_forward(const Tensor& logits, const Tensor& labels,
                                        const Tensor& offset) {
  check_cross_entropy_args("cross_entropy_forward", logits, labels, offset);
  const int64_t n = logits.size(0), c = logits.size(1);
  check_label_values(labels, c);
  CrossEntropyParts parts;
  parts.nll = empty({n}, logits.dtype(), logits.device());
  parts.row_max = empty({n}, logits.dtype(), logits.device());
  parts.log_sum = empty({n}, logits.dtype(), logits.device());
  if (n == 0) return parts;
  cross_entropy_forward_kernels().get(logits.device(), logits.dtype())(
      contiguous(logits), contiguous(labels), offset.defined() ? contiguous(offset) : Tensor(),
      parts.nll, parts.row_max, parts.log_sum);
  return parts;
}

Tensor cross_entropy_backward(const Tensor& grad, double scale, const Tensor& logits,
                              const Tensor& labels, const Tensor& offset, const Tensor& row_max,
                              const Tensor& log_sum) {
  const char* op = "cross_entropy_backward";
  check_cross_entropy_args(op, logits, labels, offset);
  const int64_t n = logits.size(0), c = logits.size(1);
  BCL_CHECK(grad.defined() && (grad.numel() == 1 || grad.shape() == Shape{n}), op,
            ": grad must have one element or shape [", n, "], got ",
            grad.defined() ? shape_str(grad.shape()) : "undefined");
  check_like(op, "grad", grad, logits);
  for (const Tensor* saved : {&row_max, &log_sum}) {
    const char* name = saved == &row_max ? "row_max" : "log_sum";
    BCL_CHECK(saved->defined() && saved->shape() == Shape{n}, op, ": ", name, " must have shape [",
              n, "]");
    check_like(op, name, *saved, logits);
  }
  Tensor grad_logits = empty({n, c}, logits.dtype(), logits.device());
  if (n * c == 0) return grad_logits;
  cross_entropy_backward_kernels().get(logits.device(), logits.dtype())(
      contiguous(grad), scale, contiguous(logits), contiguous(labels),
      offset.defined() ? contiguous(offset) : Tensor(), contiguous(row_max), contiguous(log_sum),
      grad_logits);
  return grad_logits;
}

L2NormalizeParts l2_normalize_last(const Tensor& x, double eps) {
  BCL_CHECK(x.dim() >= 1, "l2_normalize_last: input must have at least 1 dim, got shape ",
            shape_str(x.shape()));
  BCL_CHECK(is_floating(x.dtype()), "l2_normalize_last: input must be floating point, got ",
            dtype_name(x.dtype()));
  const auto [rows, n] = rows_and_last(x.shape());
  L2NormalizeParts parts;
  parts.out = empty(x.shape(), x.dtype(), x.device());
  parts.denom = empty(keep_last_as_one(x.shape()), x.dtype(), x.device());
  if (rows == 0) return parts;
  l2_normalize_kernels().get(x.device(), x.dtype())(contiguous(x), rows, n, eps, parts.out,
                                                    parts.denom);
  return parts;
}

Tensor l2_normalize_last_backward(const Tensor& grad_out, const Tensor& y, const Tensor& denom,
                                  double eps) {
  const char* op = "l2_normalize_last_backward";
  BCL_CHECK(y.dim() >= 1 && is_floating(y.dtype()), op,
            ": the output must be floating point with at least 1 dim, got ", dtype_name(y.dtype()),
            " ", shape_str(y.shape()));
  BCL_CHECK(grad_out.shape() == y.shape(), op, ": grad_out has shape ", shape_str(grad_out.shape()),
            " but the output has shape ", shape_str(y.shape()));
  check_like(op, "grad_out", grad_out, y);
  BCL_CHECK(denom.shape() == keep_last_as_one(y.shape()), op, ": denom has shape ",
            shape_str(denom.shape()), " but ", shape_str(keep_last_as_one(y.shape())),
            " was expected");
  check_like(op, "denom", denom, y);
  const auto [rows, n] = rows_and_last(y.shape());
  Tensor grad_in = empty(y.shape(), y.dtype(), y.device());
  if (rows * n == 0) return grad_in;
  l2_normalize_backward_kernels().get(y.device(), y.dtype())(
      contiguous(grad_out), contiguous(y), contiguous(denom), rows, n, eps, grad_in);
  return grad_in;
}

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
