// Differentiable elementwise ops. Gradients of broadcast inputs are summed back to the input's
// shape with raw::sum_to, the adjoint of broadcasting.
#include "autograd/ops.h"

namespace bcl {

Tensor add(const Tensor& a, const Tensor& b) {
  Tensor out = raw::add(a, b);
  // d(a + b)/da = 1, d(a + b)/db = 1
  return record("add", out, {a, b},
                [a_shape = a.shape(), b_shape = b.shape()](const Tensor& g) -> std::vector<Tensor> {
                  return {raw::sum_to(g, a_shape), raw::sum_to(g, b_shape)};
                });
}

Tensor sub(const Tensor& a, const Tensor& b) {
  Tensor out = raw::sub(a, b);
  // d(a - b)/da = 1, d(a - b)/db = -1
  return record("sub", out, {a, b},
                [a_shape = a.shape(), b_shape = b.shape()](const Tensor& g) -> std::vector<Tensor> {
                  return {raw::sum_to(g, a_shape), raw::neg(raw::sum_to(g, b_shape))};
                });
}

Tensor mul(const Tensor& a, const Tensor& b) {
  Tensor out = raw::mul(a, b);
  const bool grad_a = needs_grad({a}), grad_b = needs_grad({b});
  // d(a b)/da = b, d(a b)/db = a
  return record("mul", out, {a, b}, [a, b, grad_a, grad_b](const Tensor& g) -> std::vector<Tensor> {
    return {grad_a ? raw::sum_to(raw::mul(g, b), a.shape()) : Tensor(),
            grad_b ? raw::sum_to(raw::mul(g, a), b.shape()) : Tensor()};
  });
}

Tensor div(const Tensor& a, const Tensor& b) {
  Tensor out = raw::div(a, b);
  const bool grad_a = needs_grad({a}), grad_b = needs_grad({b});
  // d(a / b)/da = 1 / b, d(a / b)/db = -a / b^2
  return record("div", out, {a, b}, [a, b, grad_a, grad_b](const Tensor& g) -> std::vector<Tensor> {
    return {grad_a ? raw::sum_to(raw::div(g, b), a.shape()) : Tensor(),
            grad_b ? raw::sum_to(raw::neg(raw::div(raw::mul(g, a), raw::mul(b, b))), b.shape())
                   : Tensor()};
  });
}

Tensor add(const Tensor& a, double b) {
  Tensor out = raw::add_scalar(a, b);
  // d(a + b)/da = 1
  return record("add_scalar", out, {a}, [](const Tensor& g) -> std::vector<Tensor> { return {g}; });
}

Tensor mul(const Tensor& a, double b) {
  Tensor out = raw::mul_scalar(a, b);
  // d(a b)/da = b
  return record("mul_scalar", out, {a},
                [b](const Tensor& g) -> std::vector<Tensor> { return {raw::mul_scalar(g, b)}; });
}

Tensor neg(const Tensor& x) {
  Tensor out = raw::neg(x);
  // d(-x)/dx = -1
  return record("neg", out, {x},
                [](const Tensor& g) -> std::vector<Tensor> { return {raw::neg(g)}; });
}

Tensor exp(const Tensor& x) {
  Tensor out = raw::exp(x);
  // d e^x/dx = e^x, the output itself (detached: the node must not own its own output)
  return record("exp", out, {x}, [y = detach(out)](const Tensor& g) -> std::vector<Tensor> {
    return {raw::mul(g, y)};
  });
}

Tensor log(const Tensor& x) {
  Tensor out = raw::log(x);
  // d ln x/dx = 1 / x
  return record("log", out, {x},
                [x](const Tensor& g) -> std::vector<Tensor> { return {raw::div(g, x)}; });
}

Tensor sqrt(const Tensor& x) {
  Tensor out = raw::sqrt(x);
  // d sqrt(x)/dx = 1 / (2 sqrt(x)), from the output
  return record("sqrt", out, {x}, [y = detach(out)](const Tensor& g) -> std::vector<Tensor> {
    return {raw::div(raw::mul_scalar(g, 0.5), y)};
  });
}

Tensor rsqrt(const Tensor& x) {
  Tensor out = raw::rsqrt(x);
  // d x^(-1/2)/dx = -1/2 x^(-3/2) = -1/2 y^3, from the output y
  return record("rsqrt", out, {x}, [y = detach(out)](const Tensor& g) -> std::vector<Tensor> {
    return {raw::mul(g, raw::mul_scalar(raw::pow(y, 3), -0.5))};
  });
}

Tensor pow(const Tensor& x, double p) {
  Tensor out = raw::pow(x, p);
  // d x^p/dx = p x^(p-1)
  return record("pow", out, {x}, [x, p](const Tensor& g) -> std::vector<Tensor> {
    return {raw::mul(g, raw::mul_scalar(raw::pow(x, p - 1), p))};
  });
}

Tensor relu(const Tensor& x) {
  Tensor out = raw::relu(x);
  // d max(x, 0)/dx = [x > 0]
  return record("relu", out, {x},
                [x](const Tensor& g) -> std::vector<Tensor> { return {raw::relu_grad(g, x)}; });
}

Tensor clamp(const Tensor& x, double lo, double hi) {
  Tensor out = raw::clamp(x, lo, hi);
  // d clamp(x, lo, hi)/dx = [lo <= x <= hi]
  return record("clamp", out, {x}, [x, lo, hi](const Tensor& g) -> std::vector<Tensor> {
    return {raw::mul(g, raw::unary(raw::UnaryOp::InRange, x, lo, hi))};
  });
}

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  Tensor out = raw::where(cond, a, b);
  // d where(c, a, b)/da = [c != 0], d where(c, a, b)/db = [c == 0]
  return record(
      "where", out, {a, b},
      [cond, a_shape = a.shape(), b_shape = b.shape()](const Tensor& g) -> std::vector<Tensor> {
        const Tensor zero = zeros({}, g.dtype(), g.device());
        return {raw::sum_to(raw::where(cond, g, zero), a_shape),
                raw::sum_to(raw::where(cond, zero, g), b_shape)};
      });
}

Tensor to_dtype(const Tensor& x, DType dtype) {
  BCL_CHECK(is_floating(x.dtype()) && is_floating(dtype),
            "to_dtype: differentiable conversions are between floating dtypes, got ",
            dtype_name(x.dtype()), " to ", dtype_name(dtype));
  Tensor out = raw::to_dtype(x, dtype);
  // y = round(x): the rounding is taken as the identity (its derivative is 1 almost everywhere
  // at the scale of the rounding), so dL/dx = dL/dy, carried back in x's dtype.
  return record("to_dtype", out, {x}, [from = x.dtype()](const Tensor& g) -> std::vector<Tensor> {
    return {raw::to_dtype(g, from)};
  });
}

}  // namespace bcl
