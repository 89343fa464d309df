#include <omp.h>

#include <cmath>
#include <limits>

#include "tests/test_util.h"

using namespace bcl;

namespace {
using V = std::vector<double>;

// The sum over `dim` of a [d0, d1, d2] tensor, by three plain loops in double.
V naive_sum(const V& x, const Shape& s, int64_t dim) {
  Shape out_shape = s;
  out_shape[dim] = 1;
  V out(numel_of(out_shape), 0.0);
  for (int64_t i = 0; i < s[0]; ++i)
    for (int64_t j = 0; j < s[1]; ++j)
      for (int64_t k = 0; k < s[2]; ++k) {
        int64_t idx[3] = {i, j, k};
        idx[dim] = 0;
        out[(idx[0] * out_shape[1] + idx[1]) * out_shape[2] + idx[2]] +=
            x[(i * s[1] + j) * s[2] + k];
      }
  return out;
}
}  // namespace

TEST_CASE("reduce/sum_values_and_shapes") {
  for (DType dtype : {DType::Float32, DType::Float64, DType::Int64}) {
    CAPTURE(dtype_name(dtype));
    Tensor x = raw::view(arange(24, dtype), {2, 3, 4});
    Tensor all = raw::sum(x);
    CHECK(all.shape() == Shape{});
    CHECK(all.item() == 276);
    CHECK(all.dtype() == dtype);
    CHECK(raw::sum(x, {}, true).shape() == Shape{1, 1, 1});
    CHECK(raw::sum(x, {0}).shape() == Shape{3, 4});
    CHECK(raw::sum(x, {0}).to_vector() == V{12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 34});
    CHECK(raw::sum(x, {1}, true).shape() == Shape{2, 1, 4});
    CHECK(raw::sum(x, {1}, true).to_vector() == V{12, 15, 18, 21, 48, 51, 54, 57});
    CHECK(raw::sum(x, {-1}).to_vector() == V{6, 22, 38, 54, 70, 86});
    // Non-adjacent dims: two passes.
    CHECK(raw::sum(x, {0, 2}).shape() == Shape{3});
    CHECK(raw::sum(x, {0, 2}).to_vector() == V{60, 92, 124});
    CHECK(raw::sum(x, {2, -3}, true).shape() == Shape{1, 3, 1});
    CHECK(raw::sum(x, {0, 1}).to_vector() == V{60, 66, 72, 78});
  }
}

TEST_CASE("reduce/sum_of_strided_input") {
  Tensor x = from_vector({1, 2, 3, 4, 5, 6}, {2, 3}, DType::Float64);
  Tensor t = raw::transpose(x, 0, 1);  // [3, 2]
  CHECK(raw::sum(t, {0}).to_vector() == V{6, 15});
  CHECK(raw::sum(t, {1}).to_vector() == V{5, 7, 9});
  CHECK(raw::sum(raw::narrow(x, 1, 1, 2)).item() == 16);
}

TEST_CASE("reduce/sum_edge_cases") {
  // A 0-dim tensor sums to a copy of itself.
  Tensor s = scalar(3, DType::Float64);
  Tensor r = raw::sum(s);
  CHECK(r.item() == 3);
  CHECK_FALSE(r.same(s));
  // Summing over an empty dim gives zeros.
  CHECK(raw::sum(zeros({2, 0}), {1}).to_vector() == V{0, 0});
  CHECK(raw::sum(zeros({0, 3}), {0}).to_vector() == V{0, 0, 0});
}

TEST_CASE("reduce/float32_sums_accumulate_in_double") {
  // 0.1f added 10^6 times in float drifts by about 1%; accumulating in double does not.
  Tensor x = full({1000000}, 0.1, DType::Float32);
  const double exact = 1e6 * static_cast<double>(0.1f);
  CHECK(std::fabs(raw::sum(x).item() - exact) < 0.01);
  CHECK(std::fabs(raw::mean(x).item() - static_cast<double>(0.1f)) < 1e-7);
}

TEST_CASE("reduce/large_sums_match_plain_loops_on_any_thread_count") {
  const Shape shape{37, 61, 53};
  Tensor x = test::randn(shape, 7);
  const V vx = x.to_vector();
  for (int64_t dim = 0; dim < 3; ++dim) {
    CAPTURE(dim);
    Tensor expected =
        from_vector(naive_sum(vx, shape, dim), {numel_of(shape) / shape[dim]}, DType::Float64);
    CHECK_ALLCLOSE(raw::reshape(raw::sum(x, {dim}), {-1}), expected, 1e-12, 1e-12);
  }
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  const V one_thread = raw::sum(x, {0, 2}).to_vector();
  const double one_thread_all = raw::sum(x).item();
  omp_set_num_threads(2);
  const V two_threads = raw::sum(x, {0, 2}).to_vector();
  const double two_threads_all = raw::sum(x).item();
  omp_set_num_threads(threads);
  CHECK(one_thread == two_threads);  // bitwise: each output is summed in one fixed order
  CHECK(one_thread_all == two_threads_all);
}

TEST_CASE("reduce/mean") {
  Tensor x = from_vector({1, 2, 3, 4, 5, 6}, {2, 3}, DType::Float64);
  CHECK(raw::mean(x).item() == 3.5);
  CHECK(raw::mean(x, {0}).to_vector() == V{2.5, 3.5, 4.5});
  CHECK(raw::mean(x, {1}, true).shape() == Shape{2, 1});
  CHECK(raw::mean(x, {-1}, true).to_vector() == V{2, 5});
  Tensor y = raw::view(arange(24, DType::Float32), {2, 3, 4});
  CHECK(raw::mean(y, {0, 2}).to_vector() == V{7.5, 11.5, 15.5});
  CHECK(std::isnan(raw::mean(zeros({0})).item()));  // 0 / 0, as NumPy
}

TEST_CASE("reduce/max_and_argmax") {
  Tensor x = from_vector({1, 5, 5, 2, 7, 0, 7, 7}, {2, 4}, DType::Float64);
  SUBCASE("along the last dim: ties pick the first index") {
    raw::MaxResult r = raw::max(x, 1);
    CHECK(r.values.shape() == Shape{2});
    CHECK(r.values.to_vector() == V{5, 7});
    CHECK(r.indices.dtype() == DType::Int64);
    CHECK(r.indices.to_vector() == V{1, 0});
    CHECK(raw::argmax(x, -1).to_vector() == V{1, 0});
  }
  SUBCASE("along the first dim, keepdim") {
    raw::MaxResult r = raw::max(x, -2, true);
    CHECK(r.values.shape() == Shape{1, 4});
    CHECK(r.indices.shape() == Shape{1, 4});
    CHECK(r.values.to_vector() == V{7, 5, 7, 7});
    CHECK(r.indices.to_vector() == V{1, 0, 1, 1});
  }
  SUBCASE("a transposed input and int64") {
    Tensor t = raw::transpose(x, 0, 1);  // [4, 2]
    CHECK(raw::max(t, 0).indices.to_vector() == V{1, 0});
    CHECK(raw::max(raw::to_dtype(t, DType::Int64), 1).values.to_vector() == V{7, 5, 7, 7});
  }
  SUBCASE("max_all") {
    Tensor m = raw::max_all(x);
    CHECK(m.shape() == Shape{});
    CHECK(m.item() == 7);
    CHECK(raw::max_all(from_vector({-3, -1, -2}, {3})).item() == -1);
  }
  SUBCASE("NaN is the maximum") {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    raw::MaxResult r = raw::max(from_vector({1, nan, 3, nan}, {4}, DType::Float64), 0);
    CHECK(std::isnan(r.values.item()));
    CHECK(r.indices.item() == 1);
  }
}

TEST_CASE("reduce/sum_to") {
  Tensor x = raw::view(arange(24, DType::Float64), {2, 3, 4});
  CHECK(raw::sum_to(x, {2, 3, 4}).same(x));  // nothing to reduce
  CHECK(raw::sum_to(x, {3, 4}).to_vector() == raw::sum(x, {0}).to_vector());
  Tensor col = raw::sum_to(x, {3, 1});
  CHECK(col.shape() == Shape{3, 1});
  CHECK(col.to_vector() == V{60, 92, 124});
  CHECK(raw::sum_to(x, {1, 1, 4}).to_vector() == V{60, 66, 72, 78});
  CHECK(raw::sum_to(x, {}).item() == 276);
  CHECK(raw::sum_to(x, {1}).shape() == Shape{1});
  CHECK_THROWS_WITH_AS(raw::sum_to(x, {5}), doctest::Contains("sum_to"), Error);
  CHECK_THROWS_WITH_AS(raw::sum_to(x, {2, 3}), doctest::Contains("sum_to"), Error);
  CHECK_THROWS_WITH_AS(raw::sum_to(x, {1, 2, 3, 4}), doctest::Contains("sum_to"), Error);
}

TEST_CASE("reduce/bad_inputs_name_the_op") {
  Tensor x = zeros({2, 3});
  CHECK_THROWS_WITH_AS(raw::sum(x, {2}), doctest::Contains("sum: dim 2"), Error);
  CHECK_THROWS_WITH_AS(raw::sum(x, {1, -1}), doctest::Contains("sum: dim -1 is named twice"),
                       Error);
  CHECK_THROWS_WITH_AS(raw::mean(x, {-3}), doctest::Contains("mean"), Error);
  CHECK_THROWS_WITH_AS(raw::mean(zeros({2}, DType::Int64)), doctest::Contains("mean"), Error);
  CHECK_THROWS_WITH_AS(raw::max(x, 2), doctest::Contains("max"), Error);
  CHECK_THROWS_WITH_AS(raw::max(zeros({2, 0}), 1), doctest::Contains("max: dim 1"), Error);
  CHECK_THROWS_WITH_AS(raw::max(scalar(1), 0), doctest::Contains("max"), Error);
  CHECK_THROWS_WITH_AS(raw::max_all(zeros({0, 3})), doctest::Contains("max_all"), Error);
  CHECK_THROWS_WITH_AS(raw::argmax(x, -3), doctest::Contains("max"), Error);
}
