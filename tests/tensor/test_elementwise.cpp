#include <omp.h>

#include <cmath>
#include <limits>

#include "tests/test_util.h"

using namespace bcl;

namespace {
using V = std::vector<double>;
}  // namespace

TEST_CASE("elementwise/binary_values") {
  for (DType dtype : {DType::Float32, DType::Float64}) {
    CAPTURE(dtype_name(dtype));
    Tensor a = from_vector({1, -2, 3, 8}, {2, 2}, dtype);
    Tensor b = from_vector({4, 4, -1, 2}, {2, 2}, dtype);
    CHECK(raw::add(a, b).to_vector() == V{5, 2, 2, 10});
    CHECK(raw::sub(a, b).to_vector() == V{-3, -6, 4, 6});
    CHECK(raw::mul(a, b).to_vector() == V{4, -8, -3, 16});
    CHECK(raw::div(a, b).to_vector() == V{0.25, -0.5, -3, 4});
    CHECK(raw::maximum(a, b).to_vector() == V{4, 4, 3, 8});
    CHECK(raw::minimum(a, b).to_vector() == V{1, -2, -1, 2});
    Tensor out = raw::add(a, b);
    CHECK(out.shape() == Shape{2, 2});
    CHECK(out.dtype() == dtype);
    CHECK(out.is_contiguous());
  }
}

TEST_CASE("elementwise/comparisons_give_0_1_in_the_input_dtype") {
  for (DType dtype : {DType::Float32, DType::Float64, DType::Int64}) {
    CAPTURE(dtype_name(dtype));
    Tensor a = from_vector({1, 2, 3}, {3}, dtype);
    Tensor b = from_vector({2, 2, 2}, {3}, dtype);
    CHECK(raw::eq(a, b).dtype() == dtype);
    CHECK(raw::eq(a, b).to_vector() == V{0, 1, 0});
    CHECK(raw::ne(a, b).to_vector() == V{1, 0, 1});
    CHECK(raw::lt(a, b).to_vector() == V{1, 0, 0});
    CHECK(raw::le(a, b).to_vector() == V{1, 1, 0});
    CHECK(raw::gt(a, b).to_vector() == V{0, 0, 1});
    CHECK(raw::ge(a, b).to_vector() == V{0, 1, 1});
  }
}

TEST_CASE("elementwise/relu_grad passes g where x > 0, in one pass") {
  const double nan = std::nan("");
  for (DType dtype : {DType::Float32, DType::Float64}) {
    const Tensor g = from_vector({1, 2, 3, 4, 5, 6}, {2, 3}, dtype);
    const Tensor x = from_vector({0.5, -1, 0, -0.0, nan, 1e-30}, {2, 3}, dtype);
    CHECK(raw::relu_grad(g, x).to_vector() == std::vector<double>{1, 0, 0, 0, 0, 6});
    // It equals g * step(x), ReLU's derivative, where g is finite; x broadcasts.
    const Tensor big_g = test::randn({4, 5, 6}, 3, dtype), big_x = test::randn({5, 6}, 4, dtype);
    CHECK(raw::relu_grad(big_g, big_x).to_vector() ==
          raw::mul(big_g, raw::unary(raw::UnaryOp::Step, big_x)).to_vector());
  }
}

TEST_CASE("elementwise/int64_arithmetic") {
  Tensor a = from_vector({5, -7, 9}, {3}, DType::Int64);
  Tensor b = from_vector({2, 3, -4}, {3}, DType::Int64);
  CHECK(raw::add(a, b).to_vector() == V{7, -4, 5});
  CHECK(raw::sub(a, b).to_vector() == V{3, -10, 13});
  CHECK(raw::mul(a, b).to_vector() == V{10, -21, -36});
  CHECK(raw::maximum(a, b).to_vector() == V{5, 3, 9});
  CHECK(raw::add(a, b).dtype() == DType::Int64);
  CHECK_THROWS_WITH_AS(raw::div(a, b), doctest::Contains("div"), Error);
}

TEST_CASE("elementwise/maximum_and_minimum_propagate_nan") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  Tensor a = from_vector({nan, 1}, {2}, DType::Float64);
  Tensor b = from_vector({0, nan}, {2}, DType::Float64);
  for (const Tensor& r : {raw::maximum(a, b), raw::minimum(a, b), raw::maximum(b, a)}) {
    const V v = r.to_vector();
    CHECK(std::isnan(v[0]));
    CHECK(std::isnan(v[1]));
  }
}

TEST_CASE("elementwise/broadcasting") {
  SUBCASE("[3, 1] + [1, 4] -> [3, 4]") {
    Tensor a = from_vector({0, 10, 20}, {3, 1});
    Tensor b = from_vector({1, 2, 3, 4}, {1, 4});
    Tensor c = raw::add(a, b);
    CHECK(c.shape() == Shape{3, 4});
    CHECK(c.to_vector() == V{1, 2, 3, 4, 11, 12, 13, 14, 21, 22, 23, 24});
    CHECK(raw::sub(b, a).to_vector() == V{1, 2, 3, 4, -9, -8, -7, -6, -19, -18, -17, -16});
  }
  SUBCASE("[2, 3, 4] * [4] -> [2, 3, 4]") {
    Tensor a = arange(24, DType::Float64);
    a = raw::view(a, {2, 3, 4});
    Tensor b = from_vector({1, -1, 2, 0}, {4}, DType::Float64);
    Tensor c = raw::mul(a, b);
    CHECK(c.shape() == Shape{2, 3, 4});
    const V v = c.to_vector();
    for (int64_t i = 0; i < 24; ++i) CHECK(v[i] == static_cast<double>(i) * V{1, -1, 2, 0}[i % 4]);
  }
  SUBCASE("a 0-dim tensor broadcasts to any shape, on either side") {
    Tensor a = from_vector({1, 2, 3, 4, 5, 6}, {2, 3});
    Tensor s = scalar(10);
    CHECK(raw::mul(a, s).shape() == Shape{2, 3});
    CHECK(raw::mul(a, s).to_vector() == V{10, 20, 30, 40, 50, 60});
    CHECK(raw::sub(s, a).to_vector() == V{9, 8, 7, 6, 5, 4});
    CHECK(raw::add(s, s).shape() == Shape{});
    CHECK(raw::add(s, s).item() == 20);
  }
  SUBCASE("size-1 dims on both sides and a prepended dim") {
    Tensor a = from_vector({1, 2}, {2, 1, 1});
    Tensor b = from_vector({10, 20, 30}, {3, 1});
    Tensor c = raw::add(a, b);
    CHECK(c.shape() == Shape{2, 3, 1});
    CHECK(c.to_vector() == V{11, 21, 31, 12, 22, 32});
  }
}

TEST_CASE("elementwise/strided_inputs") {
  Tensor x = from_vector({1, 2, 3, 4, 5, 6}, {2, 3}, DType::Float64);
  Tensor t = raw::transpose(x, 0, 1);  // [3, 2]: 1 4 / 2 5 / 3 6
  REQUIRE_FALSE(t.is_contiguous());
  Tensor y = from_vector({10, 20, 30, 40, 50, 60}, {3, 2}, DType::Float64);
  CHECK(raw::add(t, y).to_vector() == V{11, 24, 32, 45, 53, 66});
  CHECK(raw::add(y, t).to_vector() == V{11, 24, 32, 45, 53, 66});
  CHECK(raw::exp(t).to_vector() == raw::exp(raw::contiguous(t)).to_vector());
  // A column slice (offset 1, stride 3) against a row broadcast.
  Tensor col = raw::narrow(x, 1, 1, 1);  // [2, 1]: 2 / 5
  CHECK(raw::mul(col, from_vector({1, 10}, {1, 2}, DType::Float64)).to_vector() == V{2, 20, 5, 50});
}

TEST_CASE("elementwise/large_inputs_match_a_plain_loop") {
  // Big enough for the parallel paths; a transposed operand takes the strided one.
  Tensor a = test::randn({300, 257}, 1);
  Tensor b = test::randn({257, 300}, 2);
  Tensor bt = raw::transpose(b, 0, 1);
  Tensor row = test::randn({257}, 3);
  const V va = a.to_vector(), vb = raw::contiguous(bt).to_vector(), vr = row.to_vector();
  V flat(va.size()), strided(va.size()), broadcast(va.size());
  for (size_t i = 0; i < va.size(); ++i) {
    flat[i] = va[i] * std::exp(va[i]);
    strided[i] = va[i] - vb[i];
    broadcast[i] = va[i] / vr[i % 257];
  }
  CHECK(raw::mul(a, raw::exp(a)).to_vector() == flat);
  CHECK(raw::sub(a, bt).to_vector() == strided);
  CHECK(raw::div(a, row).to_vector() == broadcast);
  // The result does not depend on the thread count.
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  const V one_thread = raw::sub(a, bt).to_vector();
  omp_set_num_threads(threads);
  CHECK(one_thread == strided);
}

TEST_CASE("elementwise/unary_values") {
  for (DType dtype : {DType::Float32, DType::Float64}) {
    CAPTURE(dtype_name(dtype));
    Tensor x = from_vector({-2, -0.5, 0, 1, 4}, {5}, dtype);
    Tensor pos = from_vector({0.25, 1, 4}, {3}, dtype);
    CHECK(raw::neg(x).to_vector() == V{2, 0.5, 0, -1, -4});
    CHECK(raw::relu(x).to_vector() == V{0, 0, 0, 1, 4});
    CHECK(raw::unary(raw::UnaryOp::Step, x).to_vector() == V{0, 0, 0, 1, 1});
    CHECK(raw::unary(raw::UnaryOp::Abs, x).to_vector() == V{2, 0.5, 0, 1, 4});
    CHECK(raw::pow(x, 2).to_vector() == V{4, 0.25, 0, 1, 16});
    CHECK(raw::add_scalar(x, 1.5).to_vector() == V{-0.5, 1, 1.5, 2.5, 5.5});
    CHECK(raw::mul_scalar(x, -2).to_vector() == V{4, 1, 0, -2, -8});
    CHECK(raw::clamp(x, -1, 2).to_vector() == V{-1, -0.5, 0, 1, 2});
    CHECK(raw::unary(raw::UnaryOp::InRange, x, -0.5, 1).to_vector() == V{0, 1, 1, 1, 0});
    CHECK(raw::sqrt(pos).to_vector() == V{0.5, 1, 2});
    CHECK(raw::rsqrt(pos).to_vector() == V{2, 1, 0.5});
    CHECK(raw::pow(pos, 0.5).to_vector() == V{0.5, 1, 2});
    const double tol = dtype == DType::Float32 ? 1e-6 : 1e-14;
    CHECK_ALLCLOSE(
        raw::exp(x),
        from_vector({std::exp(-2.0), std::exp(-0.5), 1, std::exp(1.0), std::exp(4.0)}, {5}, dtype),
        0, tol);
    CHECK_ALLCLOSE(raw::log(pos), from_vector({std::log(0.25), 0, std::log(4.0)}, {3}, dtype), tol,
                   tol);
  }
}

TEST_CASE("elementwise/where") {
  Tensor cond = from_vector({1, 0, 2}, {3, 1}, DType::Float64);  // any nonzero is true
  Tensor a = from_vector({1, 2}, {1, 2}, DType::Float64);
  Tensor b = scalar(-1, DType::Float64);
  Tensor out = raw::where(cond, a, b);
  CHECK(out.shape() == Shape{3, 2});
  CHECK(out.to_vector() == V{1, 2, -1, -1, 1, 2});
  CHECK_THROWS_WITH_AS(raw::where(cond, a, scalar(0)), doctest::Contains("where"), Error);
  CHECK_THROWS_WITH_AS(raw::where(zeros({2}, DType::Float64), a, zeros({3}, DType::Float64)),
                       doctest::Contains("where"), Error);
}

TEST_CASE("elementwise/add_inplace_into_views") {
  SUBCASE("src broadcasts over a contiguous dst, scaled by alpha") {
    Tensor dst = zeros({2, 3}, DType::Float64);
    raw::add_(dst, from_vector({1, 2, 3}, {3}, DType::Float64), -2);
    CHECK(dst.to_vector() == V{-2, -4, -6, -2, -4, -6});
  }
  SUBCASE("dst is a transposed view: the base sees the writes") {
    Tensor base = zeros({2, 3}, DType::Float64);
    Tensor t = raw::transpose(base, 0, 1);  // [3, 2]
    raw::add_(t, from_vector({1, 2, 3, 4, 5, 6}, {3, 2}, DType::Float64));
    CHECK(base.to_vector() == V{1, 3, 5, 2, 4, 6});
  }
  SUBCASE("dst is a column slice") {
    Tensor base = ones({2, 3}, DType::Float64);
    raw::add_(raw::narrow(base, 1, 1, 1), scalar(5, DType::Float64));
    CHECK(base.to_vector() == V{1, 6, 1, 1, 6, 1});
  }
  SUBCASE("bad shapes and broadcast destinations") {
    Tensor dst = zeros({2, 3});
    CHECK_THROWS_WITH_AS(raw::add_(dst, zeros({2, 1, 3})), doctest::Contains("add_"), Error);
    CHECK_THROWS_WITH_AS(raw::add_(dst, zeros({4})), doctest::Contains("add_"), Error);
    CHECK_THROWS_WITH_AS(raw::add_(raw::expand(zeros({1, 3}), {2, 3}), zeros({2, 3})),
                         doctest::Contains("add_"), Error);
    CHECK_THROWS_WITH_AS(raw::add_(dst, zeros({2, 3}, DType::Float64)), doctest::Contains("add_"),
                         Error);
  }
}

TEST_CASE("elementwise/mul_inplace") {
  Tensor base = from_vector({1, 2, 3, 4}, {2, 2});
  raw::mul_(raw::narrow(base, 0, 1, 1), 3);
  CHECK(base.to_vector() == V{1, 2, 9, 12});
  raw::mul_(raw::transpose(base, 0, 1), 0.5);
  CHECK(base.to_vector() == V{0.5, 1, 4.5, 6});
}

TEST_CASE("elementwise/bad_inputs_name_the_op") {
  Tensor a = zeros({2, 3});
  CHECK_THROWS_WITH_AS(raw::add(a, zeros({4})), doctest::Contains("add: shapes [2, 3] and [4]"),
                       Error);
  CHECK_THROWS_WITH_AS(raw::mul(a, zeros({3, 2})), doctest::Contains("mul"), Error);
  CHECK_THROWS_WITH_AS(raw::ge(a, zeros({2, 2})), doctest::Contains("ge"), Error);
  CHECK_THROWS_WITH_AS(raw::sub(a, zeros({2, 3}, DType::Float64)),
                       doctest::Contains("sub: inputs have different dtypes"), Error);
  CHECK_THROWS_WITH_AS(raw::exp(zeros({2}, DType::Int64)), doctest::Contains("exp"), Error);
  CHECK_THROWS_WITH_AS(raw::clamp(zeros({2}, DType::Int64), 0, 1), doctest::Contains("clamp"),
                       Error);
}
