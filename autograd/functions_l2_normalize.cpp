// Differentiable L2 normalisation along a dim (one fused kernel each way along the last dim).
#include "autograd/ops.h"

namespace bcl {

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

}  // namespace bcl
