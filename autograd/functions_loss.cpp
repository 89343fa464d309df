// Differentiable log_softmax, L2 normalisation and the cross-entropy loss.
#include "autograd/ops.h"

namespace bcl {

Tensor log_softmax(const Tensor& x, int64_t dim) {
  Tensor y = raw::log_softmax(x, dim);
  // With y = log softmax(x) along dim: dy_i/dx_j = [i == j] - softmax_j, so
  //   dx = g - exp(y) sum(g).
  // The backward keeps a detached alias of y: y itself owns this node, a reference cycle.
  return record("log_softmax", y, {x},
                [y = detach(y), dim](const Tensor& g) -> std::vector<Tensor> {
                  return {raw::log_softmax_backward(g, y, dim)};
                });
}

Tensor l2_normalize(const Tensor& x, int64_t dim, double eps) {
  const int64_t d = normalize_dim(dim, x.dim(), "l2_normalize");
  // With n = ||x|| along dim and y = x / max(n, eps):
  //   n > eps:  dy/dx = (I - y y^T) / n, so dx = (g - y sum(g y)) / n;
  //   n <= eps: y = x / eps is linear,    so dx = g / eps.
  if (d == x.dim() - 1) {  // the common case, one fused kernel each way
    raw::L2NormalizeParts parts = raw::l2_normalize_last(x, eps);
    return record(
        "l2_normalize", parts.out, {x},
        [y = detach(parts.out), denom = parts.denom, eps](const Tensor& g) -> std::vector<Tensor> {
          return {raw::l2_normalize_last_backward(g, y, denom, eps)};
        });
  }
  Tensor norm = raw::sqrt(raw::sum(raw::mul(x, x), {d}, /*keepdim=*/true));
  Tensor eps_t = scalar(eps, x.dtype(), x.device());
  Tensor denom = raw::maximum(norm, eps_t);
  Tensor y = raw::div(x, denom);
  Tensor norm_active = raw::gt(norm, eps_t);  // 1 where the norm, not eps, is the divisor
  return record("l2_normalize", y, {x},
                [y = detach(y), denom, norm_active, d](const Tensor& g) -> std::vector<Tensor> {
                  Tensor radial =
                      raw::mul(raw::mul(y, raw::sum(raw::mul(g, y), {d}, true)), norm_active);
                  return {raw::div(raw::sub(g, radial), denom)};
                });
}

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
