// log_softmax and its backward: hand values, normalisation along every dim, stability for large
// inputs, the backward against its formula written with loops, errors.
#include <cmath>
#include <vector>

#include "tests/test_util.h"

using namespace bcl;

TEST_CASE("log_softmax/hand_values") {
  // log_softmax([1, 2, 3]) = [1, 2, 3] - log(e + e^2 + e^3).
  const double lse = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0));
  Tensor y = raw::log_softmax(from_vector({1, 2, 3}, {3}, DType::Float64), 0);
  CHECK_ALLCLOSE(y, from_vector({1 - lse, 2 - lse, 3 - lse}, {3}, DType::Float64), 1e-15, 1e-15);
  // Two equal entries: log(1/2) each.
  Tensor h = raw::log_softmax(from_vector({5, 5}, {1, 2}, DType::Float32), 1);
  CHECK_ALLCLOSE(h, full({1, 2}, -std::log(2.0), DType::Float32), 1e-7, 1e-6);
}

TEST_CASE("log_softmax/rows_sum_exp_to_one_along_every_dim") {
  for (DType dtype : {DType::Float64, DType::Float32}) {
    Tensor x = raw::mul_scalar(test::randn({3, 4, 5}, 1, dtype), 3.0);
    for (int64_t dim : {0, 1, 2, -1}) {
      CAPTURE(dtype_name(dtype));
      CAPTURE(dim);
      Tensor total = raw::sum(raw::exp(raw::log_softmax(x, dim)), {dim});
      const double tol = dtype == DType::Float32 ? 1e-6 : 1e-14;
      CHECK_ALLCLOSE(total, ones(total.shape(), dtype), tol, tol);
    }
  }
}

TEST_CASE("log_softmax/stable_for_large_inputs") {
  // exp(1000) overflows in both float types; the max shift makes it exp(0).
  for (DType dtype : {DType::Float64, DType::Float32}) {
    CAPTURE(dtype_name(dtype));
    Tensor big = from_vector({1000, 1001, 1002, -1000, 999, 1000}, {2, 3}, dtype);
    Tensor small = from_vector({0, 1, 2, -2000, -1, 0}, {2, 3}, dtype);
    Tensor y = raw::log_softmax(big, 1);
    for (double v : y.to_vector()) CHECK(std::isfinite(v));
    // Shifting a row does not change its log_softmax. The -1000 entry sits 2000 below its row's
    // max: its exp underflows to 0, yet its result stays finite, being (x - max) - log sum.
    CHECK_ALLCLOSE(y, raw::log_softmax(small, 1), 1e-6, 1e-6);
  }
}

TEST_CASE("log_softmax/non_contiguous_input") {
  Tensor x = test::randn({4, 3}, 2);
  Tensor xt = raw::transpose(x, 0, 1);  // [3, 4], strided
  CHECK_ALLCLOSE(raw::log_softmax(xt, 1), raw::transpose(raw::log_softmax(x, 0), 0, 1), 1e-15,
                 1e-15);
}

TEST_CASE("log_softmax/backward_matches_formula") {
  // dx_i = dy_i - softmax_i * sum_j dy_j, written with plain loops along dim 1 of [2, 3, 4].
  Tensor x = test::randn({2, 3, 4}, 3);
  Tensor dy = test::randn({2, 3, 4}, 4);
  Tensor y = raw::log_softmax(x, 1);
  Tensor dx = raw::log_softmax_backward(dy, y, 1);
  std::vector<double> yv = y.to_vector(), dyv = dy.to_vector(), expected(24);
  for (int o = 0; o < 2; ++o)
    for (int i = 0; i < 4; ++i) {
      double sum = 0;
      for (int k = 0; k < 3; ++k) sum += dyv[(o * 3 + k) * 4 + i];
      for (int k = 0; k < 3; ++k) {
        const int at = (o * 3 + k) * 4 + i;
        expected[at] = dyv[at] - std::exp(yv[at]) * sum;
      }
    }
  CHECK_ALLCLOSE(dx, from_vector(expected, {2, 3, 4}, DType::Float64), 1e-14, 1e-14);
}

TEST_CASE("log_softmax/parallel_path_matches_rows") {
  // 512 rows of 128 (> 2^15 elements) and the same rows one at a time.
  Tensor x = test::randn({512, 128}, 5, DType::Float32);
  Tensor y = raw::log_softmax(x, 1);
  for (int64_t r : {0, 255, 511}) {
    Tensor row = raw::log_softmax(raw::narrow(x, 0, r, 1), 1);
    CHECK(raw::narrow(y, 0, r, 1).to_vector() == row.to_vector());
  }
}

TEST_CASE("log_softmax/errors") {
  CHECK_THROWS_WITH_AS(raw::log_softmax(test::randn({2, 3}, 6), 2),
                       doctest::Contains("log_softmax"), Error);
  CHECK_THROWS_WITH_AS(raw::log_softmax(zeros({2, 3}, DType::Int64), 1),
                       doctest::Contains("log_softmax: input must be floating point"), Error);
  CHECK_THROWS_WITH_AS(raw::log_softmax_backward(test::randn({2, 3}, 7), test::randn({3, 2}, 8), 1),
                       doctest::Contains("log_softmax_backward: grad_out has shape [2, 3]"), Error);
}
