// Front-end of cross_entropy: the forward and the backward.
#include "tensor/kernels/cross_entropy.h"
#include "tensor/op_checks.h"
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

namespace {

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

}  // namespace raw
}  // namespace bcl
