// Front-ends of the fused contrastive-loss ops: the forward and the backward of the row-wise part
// of SupCon and BCL (see raw::contrastive_forward in tensor/ops.h).
#include <utility>

#include "tensor/kernels/contrastive.h"
#include "tensor/op_checks.h"
#include "tensor/ops.h"

namespace bcl {

DispatchTable<ContrastiveClassCountKernel>& contrastive_class_count_kernels() {
  static DispatchTable<ContrastiveClassCountKernel> table("contrastive_class_count");
  return table;
}

DispatchTable<ContrastiveForwardKernel>& contrastive_forward_kernels() {
  static DispatchTable<ContrastiveForwardKernel> table("contrastive_forward");
  return table;
}

DispatchTable<ContrastiveBackwardKernel>& contrastive_backward_kernels() {
  static DispatchTable<ContrastiveBackwardKernel> table("contrastive_backward");
  return table;
}

namespace {

// What both front-ends check about logits and labels; returns the number of views V = M / N.
int64_t check_contrastive_args(const char* op, const Tensor& logits, const Tensor& labels,
                               int64_t num_classes) {
  BCL_CHECK(logits.defined(), op, ": logits are undefined");
  BCL_CHECK(logits.dim() == 2, op, ": logits must be [M, K] (anchors, columns), got shape ",
            shape_str(logits.shape()));
  BCL_CHECK(is_floating(logits.dtype()), op, ": logits must be floating point, got ",
            dtype_name(logits.dtype()));
  BCL_CHECK(labels.defined(), op, ": labels are undefined");
  BCL_CHECK(labels.dim() == 1 && labels.dtype() == DType::Int64, op,
            ": labels must be int64 of shape [N] (one per image), got ", dtype_name(labels.dtype()),
            " ", shape_str(labels.shape()));
  BCL_CHECK(labels.device() == logits.device(), op, ": labels are on ",
            device_name(labels.device()), " but logits on ", device_name(logits.device()));
  BCL_CHECK(num_classes >= 0, op, ": num_classes must be >= 0, got ", num_classes);
  const int64_t m = logits.size(0), k = logits.size(1), n = labels.size(0);
  BCL_CHECK(n > 0 ? m % n == 0 : m == 0, op, ": logits have ", m,
            " rows, which is not a whole number of views of the ", n,
            " labelled images (rows are the views, view-major)");
  BCL_CHECK(k == m + num_classes, op, ": logits ", shape_str(logits.shape()), " must have ",
            m + num_classes, " columns: the ", m, " anchors and the ", num_classes,
            " class prototypes");
  return n > 0 ? m / n : 0;
}

// Every label in [0, c), read on the host: CPU labels only (see raw::contrastive_forward).
void check_label_values(const char* op, const Tensor& labels, int64_t c) {
  const int64_t* y = labels.data<int64_t>();
  for (int64_t i = 0; i < labels.numel(); ++i) {
    BCL_CHECK(y[i] >= 0 && y[i] < c, op, ": labels[", i, "] = ", y[i], " is out of range [0, ", c,
              ")");
  }
}

}  // namespace

namespace raw {

ContrastiveParts contrastive_forward(const Tensor& logits, const Tensor& labels,
                                     int64_t num_classes) {
  const char* op = "contrastive_forward";
  const int64_t views = check_contrastive_args(op, logits, labels, num_classes);
  const Tensor y = contiguous(labels);
  if (num_classes > 0 && y.device() == Device::CPU) check_label_values(op, y, num_classes);
  const int64_t m = logits.size(0);
  const DType dt = logits.dtype();
  const Device dev = logits.device();
  ContrastiveParts parts;
  parts.loss = empty({m}, dt, dev);
  parts.row_max = empty({m}, dt, dev);
  parts.log_denom = empty({m}, dt, dev);
  parts.positives = empty({m}, dt, dev);
  if (num_classes > 0) {
    parts.class_count = empty({num_classes}, dt, dev);
    contrastive_class_count_kernels().get(dev, dt)(y, views, parts.class_count);
  }
  if (m == 0) return parts;
  contrastive_forward_kernels().get(dev, dt)(contiguous(logits), y, parts.class_count, parts.loss,
                                             parts.row_max, parts.log_denom, parts.positives);
  return parts;
}

Tensor contrastive_backward(const Tensor& grad, const Tensor& logits, const Tensor& labels,
                            const ContrastiveParts& parts) {
  const char* op = "contrastive_backward";
  const int64_t num_classes = parts.class_count.defined() ? parts.class_count.numel() : 0;
  check_contrastive_args(op, logits, labels, num_classes);
  const int64_t m = logits.size(0), k = logits.size(1);
  BCL_CHECK(grad.defined() && grad.shape() == Shape{m}, op, ": grad must have shape [", m,
            "] (one per anchor), got ", grad.defined() ? shape_str(grad.shape()) : "undefined");
  check_like(op, "grad", grad, logits);
  const std::pair<const char*, const Tensor*> saved[] = {{"row_max", &parts.row_max},
                                                         {"log_denom", &parts.log_denom},
                                                         {"positives", &parts.positives}};
  for (const auto& [name, t] : saved) {
    BCL_CHECK(t->defined() && t->shape() == Shape{m}, op, ": ", name, " must have shape [", m, "]");
    check_like(op, name, *t, logits);
  }
  if (num_classes > 0) {
    BCL_CHECK(parts.class_count.dim() == 1, op, ": class_count must be 1-D, got shape ",
              shape_str(parts.class_count.shape()));
    check_like(op, "class_count", parts.class_count, logits);
  }
  Tensor grad_logits = empty({m, k}, logits.dtype(), logits.device());
  if (m * k == 0) return grad_logits;
  contrastive_backward_kernels().get(logits.device(), logits.dtype())(
      contiguous(grad), contiguous(logits), contiguous(labels),
      num_classes > 0 ? contiguous(parts.class_count) : Tensor(), contiguous(parts.row_max),
      contiguous(parts.log_denom), contiguous(parts.positives), grad_logits);
  return grad_logits;
}

}  // namespace raw
}  // namespace bcl
