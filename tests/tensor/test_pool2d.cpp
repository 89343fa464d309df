#include <cmath>
#include <limits>

#include "tests/test_util.h"

using namespace bcl;
using raw::Pool2dParams;
using test::pool;

namespace {

using V = std::vector<double>;

double dot(const Tensor& a, const Tensor& b) {
  return raw::sum(raw::mul(a, b)).item();
}

}  // namespace

TEST_CASE("max_pool2d/hand_computed") {
  for (DType dtype : {DType::Float32, DType::Float64}) {
    CAPTURE(dtype_name(dtype));
    Tensor x = from_vector({1, 2, 5, 3,  //
                            4, 0, 1, 2,  //
                            7, 8, 9, 1,  //
                            3, 6, 2, 4},
                           {1, 1, 4, 4}, dtype);
    raw::MaxPoolOutput r = raw::max_pool2d(x, pool(2, 2, 0));
    CHECK(r.out.shape() == Shape{1, 1, 2, 2});
    CHECK(r.out.dtype() == dtype);
    CHECK(r.out.to_vector() == V{4, 5, 8, 9});
    CHECK(r.indices.dtype() == DType::Int64);
    CHECK(r.indices.to_vector() == V{4, 2, 9, 10});  // h * W + w in the plane
  }
}

TEST_CASE("max_pool2d/padding_never_wins") {
  // All values negative: a padded zero would win if padding counted as 0 rather than -inf.
  Tensor x = from_vector({-1, -2, -3, -4, -5, -6, -7, -8, -9}, {1, 1, 3, 3}, DType::Float64);
  raw::MaxPoolOutput r = raw::max_pool2d(x, pool(3, 2, 1));
  CHECK(r.out.to_vector() == V{-1, -2, -4, -5});
  CHECK(r.indices.to_vector() == V{0, 1, 3, 4});
}

TEST_CASE("max_pool2d/ties_pick_the_first_maximum_and_nan_propagates") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  Tensor x = from_vector({3, 3, 3, 3, 1, nan, 2, 5}, {1, 2, 2, 2}, DType::Float64);
  raw::MaxPoolOutput r = raw::max_pool2d(x, pool(2, 2, 0));
  const V out = r.out.to_vector();
  CHECK(out[0] == 3);
  CHECK(std::isnan(out[1]));
  CHECK(r.indices.to_vector() == V{0, 1});
}

TEST_CASE("max_pool2d_backward/routes_to_the_maximum_and_adds_overlaps") {
  // Both 3x3 windows (stride 1) of this 3x4 plane have their maximum at (1, 1) = index 5.
  Tensor x = from_vector({0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0}, {1, 1, 3, 4}, DType::Float64);
  raw::MaxPoolOutput r = raw::max_pool2d(x, pool(3, 1, 0));
  CHECK(r.indices.to_vector() == V{5, 5});
  Tensor g = from_vector({1, 2}, {1, 1, 1, 2}, DType::Float64);
  CHECK(raw::max_pool2d_backward(g, r.indices, x.shape()).to_vector() ==
        V{0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0});
}

TEST_CASE("avg_pool2d/hand_computed") {
  for (DType dtype : {DType::Float32, DType::Float64}) {
    CAPTURE(dtype_name(dtype));
    Tensor x = from_vector({1, 2, 5, 3,  //
                            4, 0, 1, 2,  //
                            7, 8, 9, 1,  //
                            3, 6, 2, 4},
                           {1, 1, 4, 4}, dtype);
    CHECK(raw::avg_pool2d(x, pool(2, 2, 0)).to_vector() == V{1.75, 2.75, 6, 4});
  }
}

TEST_CASE("avg_pool2d/padding_counts_as_zeros") {
  // Ones [2, 2], kernel 2, stride 1, padding 1: every window divides by 4, so the corners see one
  // real pixel (0.25), the edges two (0.5) and the centre four (1).
  Tensor x = ones({1, 1, 2, 2}, DType::Float64);
  const Pool2dParams p = pool(2, 1, 1);
  CHECK(raw::avg_pool2d(x, p).to_vector() == V{0.25, 0.5, 0.25, 0.5, 1, 0.5, 0.25, 0.5, 0.25});
  // Backward with dy = 1: each pixel is in four windows, each passing on 1/4.
  CHECK(raw::avg_pool2d_backward(ones({1, 1, 3, 3}, DType::Float64), x.shape(), p).to_vector() ==
        V{1, 1, 1, 1});
}

TEST_CASE("pool2d/backward_is_the_adjoint_of_forward") {
  // Average pooling is linear, and max pooling is linear in x for fixed argmaxes, so
  // <pool(x), g> = <x, backward(g)> up to float64 rounding (1e-12 relative).
  const Tensor x = test::randn({2, 3, 7, 6}, 1);
  for (const Pool2dParams& p : {pool(2, 2, 0), pool(3, 2, 1), pool(3, 1, 1)}) {
    CAPTURE(p.kernel_h);
    CAPTURE(p.stride_h);
    const Tensor avg = raw::avg_pool2d(x, p);
    const Tensor g = test::randn(avg.shape(), 2);
    CHECK(dot(x, raw::avg_pool2d_backward(g, x.shape(), p)) ==
          doctest::Approx(dot(avg, g)).epsilon(1e-12));
    raw::MaxPoolOutput mx = raw::max_pool2d(x, p);
    CHECK(dot(x, raw::max_pool2d_backward(g, mx.indices, x.shape())) ==
          doctest::Approx(dot(mx.out, g)).epsilon(1e-12));
  }
}

TEST_CASE("pool2d/float32_agrees_with_float64") {
  // Same algorithm, different precision: window sums of 9 values of size ~1 agree to ~1e-6.
  const Tensor x64 = test::randn({2, 3, 9, 9}, 3);
  const Tensor x32 = raw::to_dtype(x64, DType::Float32);
  const Pool2dParams p = pool(3, 2, 1);
  CHECK_ALLCLOSE(raw::avg_pool2d(x32, p), raw::avg_pool2d(x64, p), 1e-6, 1e-6);
  CHECK(raw::max_pool2d(x32, p).indices.to_vector() == raw::max_pool2d(x64, p).indices.to_vector());
}

TEST_CASE("pool2d/errors") {
  const Tensor x = zeros({1, 2, 4, 4});
  CHECK_THROWS_WITH_AS(raw::max_pool2d(zeros({2, 4, 4}), pool(2, 2, 0)),
                       "max_pool2d: expected input [N, C, H, W], got [2, 4, 4]", Error);
  CHECK_THROWS_WITH_AS(raw::avg_pool2d(x, pool(2, 2, 2)),
                       "avg_pool2d: padding (2, 2) is more than half the kernel (2, 2)", Error);
  CHECK_THROWS_WITH_AS(raw::max_pool2d(x, pool(5, 1, 0)),
                       doctest::Contains("max_pool2d: output size would be empty: input "
                                         "[1, 2, 4, 4]"),
                       Error);
  CHECK_THROWS_WITH_AS(raw::avg_pool2d(x, pool(2, 0, 0)),
                       doctest::Contains("avg_pool2d: invalid kernel (2, 2), stride (0, 0)"),
                       Error);
  CHECK_THROWS_WITH_AS(raw::max_pool2d(zeros({1, 1, 2, 2}, DType::Int64), pool(2, 2, 0)),
                       "max_pool2d: expected a floating tensor, got int64", Error);
  raw::MaxPoolOutput r = raw::max_pool2d(x, pool(2, 2, 0));
  CHECK_THROWS_WITH_AS(raw::max_pool2d_backward(r.out, r.out, x.shape()),
                       doctest::Contains("max_pool2d_backward: indices must be Int64"), Error);
  CHECK_THROWS_WITH_AS(raw::max_pool2d_backward(r.out, r.indices, {1, 3, 4, 4}),
                       "max_pool2d_backward: grad_out [1, 2, 2, 2] does not pool input "
                       "[1, 3, 4, 4]",
                       Error);
  CHECK_THROWS_WITH_AS(raw::avg_pool2d_backward(zeros({1, 2, 3, 3}), x.shape(), pool(2, 2, 0)),
                       "avg_pool2d_backward: grad_out has shape [1, 2, 3, 3] but pooling "
                       "[1, 2, 4, 4] gives [1, 2, 2, 2]",
                       Error);
}
