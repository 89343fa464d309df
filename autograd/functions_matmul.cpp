// Differentiable matrix products: matmul, and linear built on it.
#include "autograd/ops.h"

namespace bcl {
namespace {

// The transpose of the last two dims: a view, which matmul hands to GEMM as a transpose.
Tensor mT(const Tensor& x) {
  return raw::transpose(x, -2, -1);
}

// dA = G B^T; a 2-D A used by every batch entry of a 3-D B gets the sum over the batch.
Tensor matmul_grad_a(const Tensor& g, const Tensor& b, const Shape& a_shape) {
  return raw::sum_to(raw::matmul(g, mT(b)), a_shape);
}

// dB = A^T G, summed likewise over the batch when B is 2-D and A 3-D.
Tensor matmul_grad_b(const Tensor& g, const Tensor& a, const Shape& b_shape) {
  if (a.dim() == 3 && b_shape.size() == 2) {
    // sum_i A_i^T G_i = [A_1; ...; A_B]^T [G_1; ...; G_B]: one product over all the batch's rows.
    const Tensor a_rows = raw::reshape(a, {-1, a.size(2)});
    const Tensor g_rows = raw::reshape(g, {-1, g.size(2)});
    return raw::matmul(mT(a_rows), g_rows);
  }
  return raw::sum_to(raw::matmul(mT(a), g), b_shape);
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
  Tensor out = raw::matmul(a, b);
  const bool grad_a = needs_grad({a}), grad_b = needs_grad({b});
  // C = A B (per batch entry): dA = G B^T, dB = A^T G
  return record("matmul", out, {a, b},
                [saved_a = grad_b ? a : Tensor(), saved_b = grad_a ? b : Tensor(),
                 a_shape = a.shape(), b_shape = b.shape()](const Tensor& g) -> std::vector<Tensor> {
                  return {saved_b.defined() ? matmul_grad_a(g, saved_b, a_shape) : Tensor(),
                          saved_a.defined() ? matmul_grad_b(g, saved_a, b_shape) : Tensor()};
                });
}

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  BCL_CHECK(x.dim() == 2 && weight.dim() == 2 && x.size(1) == weight.size(1),
            "linear: expected x [N, in] and weight [out, in], got ", shape_str(x.shape()), " and ",
            shape_str(weight.shape()));
  BCL_CHECK(!bias.defined() || (bias.dim() == 1 && bias.size(0) == weight.size(0)), "linear: bias ",
            shape_str(bias.defined() ? bias.shape() : Shape{}), " does not match weight ",
            shape_str(weight.shape()));
  Tensor out = raw::matmul(x, raw::transpose(weight, 0, 1));
  if (bias.defined()) raw::add_(out, bias);
  const bool grad_x = needs_grad({x}), grad_w = needs_grad({weight}), grad_b = needs_grad({bias});
  // y = x W^T + b: dx = G W, dW = G^T x, db = sum over the batch of G
  return record("linear", out, {x, weight, bias},
                [saved_x = grad_w ? x : Tensor(), saved_w = grad_x ? weight : Tensor(),
                 grad_b](const Tensor& g) -> std::vector<Tensor> {
                  return {
                      saved_w.defined() ? raw::matmul(g, saved_w) : Tensor(),
                      saved_x.defined() ? raw::matmul(raw::transpose(g, 0, 1), saved_x) : Tensor(),
                      grad_b ? raw::sum(g, {0}) : Tensor()};
                });
}

}  // namespace bcl
