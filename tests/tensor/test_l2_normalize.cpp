// l2_normalize's fused kernels against the raw-op composition they replace, to float64 rounding.
#include <cmath>
#include <vector>

#include "autograd/ops.h"
#include "tests/test_util.h"

using namespace bcl;

namespace {

// autograd's l2_normalize before the fusion, forward and backward.
std::pair<Tensor, Tensor> l2_normalize_by_composition(const Tensor& x, const Tensor& g, int64_t d,
                                                      double eps) {
  Tensor norm = raw::sqrt(raw::sum(raw::mul(x, x), {d}, true));
  Tensor eps_t = scalar(eps, x.dtype(), x.device());
  Tensor denom = raw::maximum(norm, eps_t);
  Tensor y = raw::div(x, denom);
  Tensor norm_active = raw::gt(norm, eps_t);
  Tensor radial = raw::mul(raw::mul(y, raw::sum(raw::mul(g, y), {d}, true)), norm_active);
  return {y, raw::div(raw::sub(g, radial), denom)};
}

// Rows of x: random, then row 0 zero and row 1 tiny (below eps = 1e-2), when there are rows.
Tensor l2_input(const Shape& shape, DType dtype, uint64_t seed) {
  Tensor x = test::randn(shape, seed, dtype);
  Tensor rows = raw::reshape(x, {-1, shape.back()});
  if (rows.size(0) >= 2 && shape.back() > 0) {
    raw::fill_(raw::narrow(rows, 0, 0, 1), 0.0);
    raw::mul_(raw::narrow(rows, 0, 1, 1), 1e-4);
  }
  return x;
}

}  // namespace

TEST_CASE("l2_normalize/matches_composition") {
  // Float64: the forward's sum of squares and the backward's g - y s may be contracted into FMAs
  // in one and not the other, a difference of an ulp or two, hence 1e-14. Float32: the squares
  // are summed in double on both sides; the backward's FMA may change the last bit of dx, and
  // where g - y s cancels that is an absolute 1e-6 or so.
  for (DType dtype : {DType::Float64, DType::Float32}) {
    const double tol = dtype == DType::Float64 ? 1e-14 : 2e-6;
    for (Shape shape : {Shape{6, 5}, Shape{300, 130}, Shape{4, 3, 7}, Shape{5, 1}, Shape{9}}) {
      for (double eps : {1e-12, 1e-2}) {
        CAPTURE(dtype_name(dtype));
        CAPTURE(shape_str(shape));
        CAPTURE(eps);
        Tensor x = l2_input(shape, dtype, 31);
        Tensor g = test::randn(shape, 32, dtype);
        const int64_t last = static_cast<int64_t>(shape.size()) - 1;
        auto [y_ref, dx_ref] = l2_normalize_by_composition(x, g, last, eps);

        raw::L2NormalizeParts parts = raw::l2_normalize_last(x, eps);
        CHECK_ALLCLOSE(parts.out, y_ref, tol, tol);
        Shape denom_shape = shape;
        denom_shape.back() = 1;
        CHECK(parts.denom.shape() == denom_shape);
        CHECK_ALLCLOSE(raw::l2_normalize_last_backward(g, parts.out, parts.denom, eps), dx_ref, tol,
                       tol);

        // Through autograd, along the last dim (fused) and, for 2+ dims, dim 0 (composition).
        for (int64_t dim : {last, int64_t{0}}) {
          if (dim == 0 && last == 0) continue;
          auto [y0, dx0] = l2_normalize_by_composition(x, g, dim, eps);
          Tensor leaf = test::param(raw::clone(x));
          Tensor y = l2_normalize(leaf, dim, eps);
          CHECK_ALLCLOSE(y, y0, tol, tol);
          backward(y, g);
          CHECK_ALLCLOSE(leaf.grad(), dx0, tol, tol);
        }
      }
    }
  }
}

TEST_CASE("l2_normalize/edge_cases") {
  // The zero row stays 0 (0 / eps), and its gradient is g / eps.
  Tensor x = from_vector({3, 4, 0, 0}, {2, 2}, DType::Float64);
  raw::L2NormalizeParts parts = raw::l2_normalize_last(x, 0.5);
  CHECK(parts.out.to_vector() == std::vector<double>{0.6, 0.8, 0, 0});
  CHECK(parts.denom.shape() == Shape{2, 1});
  CHECK(parts.denom.to_vector() == std::vector<double>{5, 0.5});
  Tensor g = from_vector({1, 2, 3, 4}, {2, 2}, DType::Float64);
  Tensor dx = raw::l2_normalize_last_backward(g, parts.out, parts.denom, 0.5);
  CHECK(dx.to_vector()[2] == 6);
  CHECK(dx.to_vector()[3] == 8);
  // Empty tensors: no rows, or rows of nothing (whose denom is eps).
  CHECK(raw::l2_normalize_last(zeros({0, 4}), 1e-12).out.shape() == Shape{0, 4});
  raw::L2NormalizeParts empty_rows = raw::l2_normalize_last(zeros({3, 0}, DType::Float64), 0.25);
  CHECK(empty_rows.denom.to_vector() == std::vector<double>{0.25, 0.25, 0.25});
  CHECK(raw::l2_normalize_last_backward(zeros({3, 0}, DType::Float64), empty_rows.out,
                                        empty_rows.denom, 0.25)
            .numel() == 0);
  CHECK_THROWS_WITH_AS(raw::l2_normalize_last(scalar(1.0), 1e-12),
                       doctest::Contains("l2_normalize_last: input must have at least 1 dim"),
                       Error);
}
