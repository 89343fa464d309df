// Shape and indexing ops: concat, split, chunk, index_select, index_add, gather_labels,
// scatter_labels, one_hot. Values by hand, adjoint identities, and errors for bad shapes and
// out-of-range indices.
#include <vector>

#include "tests/test_util.h"

using namespace bcl;

namespace {

Tensor f64(const std::vector<double>& values, const Shape& shape) {
  return from_vector(values, shape, DType::Float64);
}
Tensor i64(const std::vector<double>& values) {
  return from_vector(values, {static_cast<int64_t>(values.size())}, DType::Int64);
}
double dot(const Tensor& a, const Tensor& b) {
  return raw::sum(raw::mul(a, b)).item();
}

}  // namespace

TEST_CASE("concat/values") {
  Tensor a = f64({1, 2, 3, 4}, {2, 2});
  Tensor b = f64({5, 6}, {1, 2});
  Tensor c = f64({7, 8, 9, 10, 11, 12}, {2, 3});
  Tensor rows = raw::concat({a, b}, 0);
  CHECK(rows.shape() == Shape{3, 2});
  CHECK(rows.to_vector() == std::vector<double>{1, 2, 3, 4, 5, 6});
  Tensor cols = raw::concat({a, c}, -1);
  CHECK(cols.shape() == Shape{2, 5});
  CHECK(cols.to_vector() == std::vector<double>{1, 2, 7, 8, 9, 3, 4, 10, 11, 12});
  // Strided inputs and int64.
  Tensor t = raw::concat({raw::transpose(a, 0, 1), b}, 0);
  CHECK(t.to_vector() == std::vector<double>{1, 3, 2, 4, 5, 6});
  CHECK(raw::concat({i64({1, 2}), i64({3})}, 0).to_vector() == std::vector<double>{1, 2, 3});
}

TEST_CASE("concat/errors") {
  Tensor a = zeros({2, 3}, DType::Float64);
  CHECK_THROWS_WITH_AS(raw::concat({}, 0), doctest::Contains("concat"), Error);
  // The message names the op, the offending tensor and both shapes.
  CHECK_THROWS_WITH_AS(
      raw::concat({a, a, zeros({2, 4}, DType::Float64)}, 0),
      doctest::Contains("concat: tensor 2 has shape [2, 4] but tensor 0 has [2, 3]"), Error);
  CHECK_THROWS_WITH_AS(raw::concat({a, zeros({2, 3, 1}, DType::Float64)}, 0),
                       doctest::Contains("concat: tensor 1 has shape [2, 3, 1]"), Error);
  CHECK_THROWS_WITH_AS(raw::concat({a, zeros({2, 3})}, 0),
                       doctest::Contains("concat: tensor 1 is float32"), Error);
  CHECK_THROWS_WITH_AS(raw::concat({a, a}, 2), doctest::Contains("concat"), Error);
}

TEST_CASE("split_and_chunk/values") {
  Tensor x = arange(10, DType::Float64);
  x = raw::view(x, {2, 5});
  std::vector<Tensor> parts = raw::split(x, {2, 0, 3}, 1);
  REQUIRE(parts.size() == 3);
  CHECK(parts[0].to_vector() == std::vector<double>{0, 1, 5, 6});
  CHECK(parts[1].shape() == Shape{2, 0});
  CHECK(parts[2].to_vector() == std::vector<double>{2, 3, 4, 7, 8, 9});
  // torch.chunk: ceil(5 / 3) = 2 -> 2, 2, 1; ceil(5 / 4) = 2 -> also 3 pieces; 0 -> n empty.
  std::vector<int64_t> sizes;
  for (const Tensor& p : raw::chunk(x, 3, 1)) sizes.push_back(p.size(1));
  CHECK(sizes == std::vector<int64_t>{2, 2, 1});
  CHECK(raw::chunk(x, 4, 1).size() == 3);
  CHECK(raw::chunk(x, 2, 0)[1].to_vector() == std::vector<double>{5, 6, 7, 8, 9});
  CHECK(raw::chunk(zeros({0, 2}), 3, 0).size() == 3);

  // Pieces are views: writing into one writes into x.
  raw::fill_(parts[0], -1);
  CHECK(x.to_vector()[5] == -1);
}

TEST_CASE("split_and_chunk/errors") {
  Tensor x = zeros({2, 5});
  CHECK_THROWS_WITH_AS(
      raw::split(x, {2, 2}, 1),
      doctest::Contains("split: sizes [2, 2] sum to 4 but dim 1 of [2, 5] has size 5"), Error);
  CHECK_THROWS_WITH_AS(raw::split(x, {6, -1}, 1), doctest::Contains("split: sizes [6, -1]"), Error);
  CHECK_THROWS_WITH_AS(raw::chunk(x, 0, 1), doctest::Contains("chunk"), Error);
}

TEST_CASE("index_select/values") {
  Tensor x = f64({1, 2, 3, 4, 5, 6}, {3, 2});
  // Rows 2, 0, 2 (repeats allowed).
  Tensor rows = raw::index_select(x, 0, i64({2, 0, 2}));
  CHECK(rows.shape() == Shape{3, 2});
  CHECK(rows.to_vector() == std::vector<double>{5, 6, 1, 2, 5, 6});
  Tensor cols = raw::index_select(x, 1, i64({1}));
  CHECK(cols.to_vector() == std::vector<double>{2, 4, 6});
  // A middle dim of a 3-D tensor, strided input, int64 data.
  Tensor y = raw::view(arange(24, DType::Int64), {2, 3, 4});
  CHECK(raw::index_select(y, 1, i64({2, 1})).to_vector() ==
        std::vector<double>{8, 9, 10, 11, 4, 5, 6, 7, 20, 21, 22, 23, 16, 17, 18, 19});
  CHECK(raw::index_select(raw::transpose(x, 0, 1), 0, i64({1})).to_vector() ==
        std::vector<double>{2, 4, 6});
  CHECK(raw::index_select(x, 0, i64({})).shape() == Shape{0, 2});
}

TEST_CASE("index_add/values_and_adjoint") {
  // Repeated indices add up.
  Tensor src = f64({1, 2, 3, 4, 5, 6}, {3, 2});
  Tensor out = raw::index_add({2, 2}, 0, i64({1, 0, 1}), src);
  CHECK(out.to_vector() == std::vector<double>{3, 4, 6, 8});
  // <index_select(x, d, i), y> = <x, index_add(shape(x), d, i, y)> for each dim of a 3-D tensor,
  // including a size (2 * 4 * 5000) big enough for the parallel path.
  for (const Shape& shape : {Shape{3, 4, 5}, Shape{2, 4, 5000}}) {
    Tensor x = test::randn(shape, 1);
    for (int64_t d = 0; d < 3; ++d) {
      CAPTURE(d);
      Tensor index = i64({1, 0, 1, 1});
      Tensor sel = raw::index_select(x, d, index);
      Tensor y = test::randn(sel.shape(), 2 + d);
      CHECK(dot(sel, y) ==
            doctest::Approx(dot(x, raw::index_add(shape, d, index, y))).epsilon(1e-12));
    }
  }
}

TEST_CASE("gather_scatter_one_hot/values") {
  Tensor x = f64({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor labels = i64({2, 0});
  CHECK(raw::gather_labels(x, labels).to_vector() == std::vector<double>{3, 4});
  Tensor s = raw::scatter_labels(f64({7, 8}, {2}), labels, 3);
  CHECK(s.shape() == Shape{2, 3});
  CHECK(s.to_vector() == std::vector<double>{0, 0, 7, 8, 0, 0});
  Tensor h = raw::one_hot(labels, 4, DType::Float32);
  CHECK(h.dtype() == DType::Float32);
  CHECK(h.to_vector() == std::vector<double>{0, 0, 1, 0, 1, 0, 0, 0});
  CHECK(raw::one_hot(labels, 3, DType::Int64).to_vector() == std::vector<double>{0, 0, 1, 1, 0, 0});
}

TEST_CASE("index_ops/out_of_range_errors") {
  Tensor x = zeros({3, 2}, DType::Float64);
  // The message names the op, the position, the value and the valid range.
  CHECK_THROWS_WITH_AS(raw::index_select(x, 0, i64({0, 3})),
                       doctest::Contains("index_select: index[1] = 3 is out of range [0, 3)"),
                       Error);
  CHECK_THROWS_WITH_AS(raw::index_select(x, 1, i64({-1})),
                       doctest::Contains("index_select: index[0] = -1 is out of range [0, 2)"),
                       Error);
  CHECK_THROWS_WITH_AS(raw::index_add({3, 2}, 0, i64({2, 5}), zeros({2, 2}, DType::Float64)),
                       doctest::Contains("index_add: index[1] = 5 is out of range [0, 3)"), Error);
  CHECK_THROWS_WITH_AS(raw::gather_labels(x, i64({0, 1, 2})),
                       doctest::Contains("gather_labels: labels[2] = 2 is out of range [0, 2)"),
                       Error);
  CHECK_THROWS_WITH_AS(raw::scatter_labels(zeros({2}, DType::Float64), i64({-3, 0}), 4),
                       doctest::Contains("scatter_labels: labels[0] = -3 is out of range [0, 4)"),
                       Error);
  CHECK_THROWS_WITH_AS(raw::one_hot(i64({1, 10}), 10),
                       doctest::Contains("one_hot: labels[1] = 10 is out of range [0, 10)"), Error);
}

TEST_CASE("index_ops/shape_and_dtype_errors") {
  Tensor x = zeros({3, 2}, DType::Float64);
  CHECK_THROWS_WITH_AS(raw::index_select(x, 0, zeros({2}, DType::Float64)),
                       doctest::Contains("index_select: index must be int64"), Error);
  CHECK_THROWS_WITH_AS(raw::index_select(x, 0, zeros({1, 2}, DType::Int64)),
                       doctest::Contains("index_select: index must be 1-D"), Error);
  CHECK_THROWS_WITH_AS(raw::index_add({3, 2}, 0, i64({0}), zeros({2, 2}, DType::Float64)),
                       doctest::Contains("index_add: src has shape [2, 2]"), Error);
  CHECK_THROWS_WITH_AS(raw::gather_labels(x, i64({0, 1})),
                       doctest::Contains("gather_labels: labels has shape [2] but 3 entries"),
                       Error);
  CHECK_THROWS_WITH_AS(raw::gather_labels(zeros({3}), i64({0})),
                       doctest::Contains("gather_labels: x must be [N, C]"), Error);
}
