// Differentiable cross-entropy with an optional logit offset (balanced softmax), one fused kernel
// each way.
#include "autograd/ops.h"

namespace bcl {

Tensor cross_entropy(const Tensor& logits, const Tensor& labels, const Tensor& offset) {
  BCL_CHECK(logits.dim() == 2, "cross_entropy: logits must be [N, C], got shape ",
            shape_str(logits.shape()));
  BCL_CHECK(is_floating(logits.dtype()), "cross_entropy: logits must be floating point, got ",
            dtype_name(logits.dtype()));
  const int64_t n = logits.size(0), c = logits.size(1);
  BCL_CHECK(n > 0, "cross_entropy: empty batch (logits of shape ", shape_str(logits.shape()), ")");
  BCL_CHECK(labels.defined(), "cross_entropy: labels are undefined");
  BCL_CHECK(labels.shape() == Shape{n} && labels.dtype() == DType::Int64,
            "cross_entropy: labels must be int64 of shape [", n, "] for logits ",
            shape_str(logits.shape()), ", got ", dtype_name(labels.dtype()), " ",
            shape_str(labels.shape()));
  BCL_CHECK(labels.device() == logits.device(), "cross_entropy: labels are on ",
            device_name(labels.device()), " but logits on ", device_name(logits.device()));
  if (offset.defined()) {
    BCL_CHECK(offset.shape() == Shape{c}, "cross_entropy: offset must have shape [", c,
              "] for logits ", shape_str(logits.shape()), ", got ", shape_str(offset.shape()));
    BCL_CHECK(offset.dtype() == logits.dtype() && offset.device() == logits.device(),
              "cross_entropy: offset is ", dtype_name(offset.dtype()), " on ",
              device_name(offset.device()), " but logits are ", dtype_name(logits.dtype()), " on ",
              device_name(logits.device()));
  }

  // One fused kernel gives -log softmax(z_i)[y_i] per row and the row's max and log-sum-exp,
  // from which the backward's kernel recomputes softmax(z).
  raw::CrossEntropyParts parts;
  try {
    parts = raw::cross_entropy_forward(logits, labels, offset);  // checks the label values
  } catch (const Error& e) {
    throw Error(std::string("cross_entropy: ") + e.what());
  }
  Tensor loss = raw::mean(parts.nll);
  // L = -1/N sum_i log softmax(z_i)[y_i] with z = logits + offset (dz/dlogits = I), so
  //   dL/dlogits_ij = (softmax(z_i)_j - [j == y_i]) / N.
  return record(
      "cross_entropy", loss, {logits},
      [logits = detach(logits), labels, offset, row_max = parts.row_max,
       log_sum = parts.log_sum](const Tensor& g) -> std::vector<Tensor> {
        const double inv_n = 1.0 / static_cast<double>(logits.size(0));
        return {raw::cross_entropy_backward(g, inv_n, logits, labels, offset, row_max, log_sum)};
      });
}

}  // namespace bcl
