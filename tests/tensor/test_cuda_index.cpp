// CUDA indexing kernels (tensor/kernels/index.cu) against the CPU ones: index_select, index_add,
// gather_labels, scatter_labels, one_hot, and the out-of-range errors, which must read as the
// CPU's.
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <vector>

#include "tests/tensor/cuda_test_util.h"

using namespace bcl;
using bcl::test::check_cuda_matches;
using bcl::test::skip_without_gpu;
using bcl::test::to_cpu;
using bcl::test::to_cuda;

namespace {

const DType kAllDTypes[] = {DType::Float32, DType::Float64, DType::Int64};

Tensor random_tensor(const Shape& shape, DType dtype, uint64_t seed) {
  if (dtype == DType::Int64) return raw::to_dtype(test::uniform(shape, -50, 50, seed), dtype);
  return test::randn(shape, seed, dtype);
}

Tensor i64(const std::vector<double>& values) {
  return from_vector(values, {static_cast<int64_t>(values.size())}, DType::Int64);
}

// n indices drawn from [0, bound), repeats likely.
std::vector<double> random_indices(int64_t n, int64_t bound, uint64_t seed) {
  Generator gen(seed);
  std::vector<double> v(n);
  for (double& x : v) x = static_cast<double>(gen.next_u32() % static_cast<uint32_t>(bound));
  return v;
}

// n distinct indices from [0, bound), n <= bound, in a scrambled order.
std::vector<double> unique_indices(int64_t n, int64_t bound, uint64_t seed) {
  std::vector<double> all(bound);
  for (int64_t i = 0; i < bound; ++i) all[i] = static_cast<double>(i);
  Generator gen(seed);
  for (int64_t i = bound - 1; i > 0; --i)
    std::swap(all[i], all[gen.next_u32() % static_cast<uint32_t>(i + 1)]);
  all.resize(n);
  return all;
}

int64_t max_repeats(const std::vector<double>& index) {
  std::map<double, int64_t> count;
  int64_t worst = 0;
  for (double v : index) worst = std::max(worst, ++count[v]);
  return worst;
}

double max_abs(const Tensor& t) {
  double m = 0;
  for (double v : t.to_vector()) m = std::max(m, std::fabs(v));
  return m;
}

// An index tensor on the GPU that is not contiguous: the even entries of a [2 n] tensor.
Tensor strided_cuda_index(const std::vector<double>& index) {
  std::vector<double> doubled;
  for (double v : index) doubled.insert(doubled.end(), {v, -7});
  Tensor pairs = raw::view(to_cuda(i64(doubled)), {static_cast<int64_t>(index.size()), 2});
  return raw::squeeze(raw::narrow(pairs, 1, 0, 1), 1);
}

}  // namespace

TEST_CASE("cuda/index_select_matches_cpu") {
  if (skip_without_gpu()) return;
  for (DType dtype : kAllDTypes) {
    CAPTURE(dtype_name(dtype));
    // Inner sizes 300 and 1 and a total of ~10^5 elements: none a multiple of the block size.
    for (const Shape& shape : {Shape{7, 5, 300}, Shape{3, 1000, 1}, Shape{1, 1, 1}, Shape{11}}) {
      Tensor x = random_tensor(shape, dtype, 31);
      Tensor x_gpu = to_cuda(x);
      for (int64_t d = 0; d < x.dim(); ++d) {
        CAPTURE(shape_str(shape));
        CAPTURE(d);
        const std::vector<double> index = random_indices(37, x.size(d), 40 + d);
        Tensor cpu = raw::index_select(x, d, i64(index));
        Tensor gpu = raw::index_select(x_gpu, d, to_cuda(i64(index)));
        CHECK(gpu.shape() == cpu.shape());
        // Exact: values are only moved.
        check_cuda_matches("index_select", gpu, cpu, 0, 0);
      }
    }
    // A transposed input (the front-end makes it contiguous) and a strided index.
    Tensor x = random_tensor({6, 9}, dtype, 32);
    Tensor xt = raw::transpose(x, 0, 1);
    Tensor xt_gpu = raw::transpose(to_cuda(x), 0, 1);
    REQUIRE_FALSE(xt_gpu.is_contiguous());
    const std::vector<double> index = {4, 0, 1, 0, 5, 5, 2};
    Tensor index_gpu = strided_cuda_index(index);
    REQUIRE_FALSE(index_gpu.is_contiguous());
    check_cuda_matches("index_select", raw::index_select(xt_gpu, 1, index_gpu),
                       raw::index_select(xt, 1, i64(index)), 0, 0);
    // An empty index gives an empty dim; an empty x with an empty index is fine too.
    Tensor empty_gpu = raw::index_select(to_cuda(x), 0, to_cuda(i64({})));
    CHECK(empty_gpu.shape() == Shape{0, 9});
    CHECK(raw::index_select(to_cuda(zeros({0, 3}, dtype)), 1, to_cuda(i64({2, 2}))).shape() ==
          Shape{0, 2});
  }
}

TEST_CASE("cuda/index_add_unique_indices_exact") {
  if (skip_without_gpu()) return;
  // Distinct indices: each output element receives at most one addition to 0, so the GPU's atomics
  // give the CPU's result exactly.
  for (DType dtype : kAllDTypes) {
    CAPTURE(dtype_name(dtype));
    for (const Shape& shape : {Shape{9, 40, 301}, Shape{2000, 3}, Shape{1, 1}}) {
      for (int64_t d = 0; d < static_cast<int64_t>(shape.size()); ++d) {
        CAPTURE(shape_str(shape));
        CAPTURE(d);
        const int64_t n = (shape[d] + 1) / 2;
        const std::vector<double> index = unique_indices(n, shape[d], 50 + d);
        Shape src_shape = shape;
        src_shape[d] = n;
        Tensor src = random_tensor(src_shape, dtype, 51 + d);
        Tensor cpu = raw::index_add(shape, d, i64(index), src);
        Tensor gpu = raw::index_add(shape, d, to_cuda(i64(index)), to_cuda(src));
        CHECK(gpu.shape() == cpu.shape());
        check_cuda_matches("index_add", gpu, cpu, 0, 0);
      }
    }
  }
}

TEST_CASE("cuda/index_add_repeated_indices") {
  if (skip_without_gpu()) return;
  for (DType dtype : kAllDTypes) {
    CAPTURE(dtype_name(dtype));
    for (const Shape& shape : {Shape{6, 17, 260}, Shape{13, 1}, Shape{5}}) {
      for (int64_t d = 0; d < static_cast<int64_t>(shape.size()); ++d) {
        CAPTURE(shape_str(shape));
        CAPTURE(d);
        // About 4 additions per output element, more on some.
        const std::vector<double> index = random_indices(4 * shape[d] + 3, shape[d], 60 + d);
        Shape src_shape = shape;
        src_shape[d] = static_cast<int64_t>(index.size());
        Tensor src = random_tensor(src_shape, dtype, 61 + d);
        // A transposed src: the front-end makes it contiguous.
        Tensor src_t_gpu =
            raw::transpose(to_cuda(raw::contiguous(raw::transpose(src, 0, -1))), 0, -1);
        Tensor cpu = raw::index_add(shape, d, i64(index), src);
        Tensor gpu = raw::index_add(shape, d, strided_cuda_index(index), src_t_gpu);
        // The GPU adds repeats in any order. Any order of summing k terms errs by at most
        // (k - 1) eps sum|terms| <= (k - 1) k eps max|term| (to first order), so the two devices
        // differ by at most twice that; integers add exactly.
        const double k = static_cast<double>(max_repeats(index));
        double tol = 0;
        if (dtype == DType::Float32) tol = 2 * k * k * std::numeric_limits<float>::epsilon();
        if (dtype == DType::Float64) tol = 2 * k * k * std::numeric_limits<double>::epsilon();
        check_cuda_matches("index_add", gpu, cpu, tol * max_abs(src), 0);
      }
    }
  }
  // Empty index: zeros of the shape. Empty src dims with a non-empty index: zeros too.
  Tensor e = raw::index_add({3, 4}, 0, to_cuda(i64({})), to_cuda(zeros({0, 4})));
  check_cuda_matches("index_add", e, zeros({3, 4}), 0, 0);
  Tensor e2 = raw::index_add({3, 0}, 0, to_cuda(i64({1, 1})), to_cuda(zeros({2, 0})));
  CHECK(e2.shape() == Shape{3, 0});
}

TEST_CASE("cuda/gather_scatter_one_hot_match_cpu") {
  if (skip_without_gpu()) return;
  for (DType dtype : kAllDTypes) {
    CAPTURE(dtype_name(dtype));
    // N = 1000 rows (not a multiple of 256), C = 10; then single-row and single-class edge cases.
    for (const std::pair<int64_t, int64_t>& nc :
         {std::pair<int64_t, int64_t>{1000, 10}, {1, 7}, {300, 1}}) {
      const int64_t n = nc.first, c = nc.second;
      CAPTURE(n);
      CAPTURE(c);
      const std::vector<double> labels = random_indices(n, c, 70 + n);
      Tensor labels_gpu = to_cuda(i64(labels));
      // x as a transposed [C, N] tensor: the front-end makes it contiguous.
      Tensor x_storage = random_tensor({c, n}, dtype, 71);
      Tensor x = raw::transpose(x_storage, 0, 1);
      Tensor x_gpu = raw::transpose(to_cuda(x_storage), 0, 1);
      // Exact: values are only moved.
      check_cuda_matches("gather_labels", raw::gather_labels(x_gpu, labels_gpu),
                         raw::gather_labels(x, i64(labels)), 0, 0);
      check_cuda_matches("gather_labels", raw::gather_labels(x_gpu, strided_cuda_index(labels)),
                         raw::gather_labels(x, i64(labels)), 0, 0);

      Tensor g = random_tensor({n}, dtype, 72);
      Tensor scattered = raw::scatter_labels(to_cuda(g), labels_gpu, c);
      CHECK(scattered.shape() == Shape{n, c});
      check_cuda_matches("scatter_labels", scattered, raw::scatter_labels(g, i64(labels), c), 0, 0);

      // one_hot is keyed by the output dtype.
      check_cuda_matches("one_hot", raw::one_hot(labels_gpu, c, dtype),
                         raw::one_hot(i64(labels), c, dtype), 0, 0);
      check_cuda_matches("one_hot", raw::one_hot(strided_cuda_index(labels), c + 3, dtype),
                         raw::one_hot(i64(labels), c + 3, dtype), 0, 0);
    }
    // No rows.
    CHECK(raw::gather_labels(to_cuda(zeros({0, 4}, dtype)), to_cuda(i64({}))).shape() == Shape{0});
    CHECK(raw::scatter_labels(to_cuda(zeros({0}, dtype)), to_cuda(i64({})), 4).shape() ==
          Shape{0, 4});
    CHECK(raw::one_hot(to_cuda(i64({})), 5, dtype).shape() == Shape{0, 5});
  }
}

TEST_CASE("cuda/index_ops_out_of_range_errors") {
  if (skip_without_gpu()) return;
  // The same messages as the CPU kernels' (tests/tensor/test_index.cpp): op, position, value,
  // range.
  Tensor x = zeros({3, 2}, DType::Float64, Device::CUDA);
  CHECK_THROWS_WITH_AS(raw::index_select(x, 0, to_cuda(i64({0, 3}))),
                       doctest::Contains("index_select: index[1] = 3 is out of range [0, 3)"),
                       Error);
  CHECK_THROWS_WITH_AS(raw::index_select(x, 1, to_cuda(i64({-1}))),
                       doctest::Contains("index_select: index[0] = -1 is out of range [0, 2)"),
                       Error);
  CHECK_THROWS_WITH_AS(
      raw::index_add({3, 2}, 0, to_cuda(i64({2, 5})), zeros({2, 2}, DType::Float64, Device::CUDA)),
      doctest::Contains("index_add: index[1] = 5 is out of range [0, 3)"), Error);
  CHECK_THROWS_WITH_AS(raw::gather_labels(x, to_cuda(i64({0, 1, 2}))),
                       doctest::Contains("gather_labels: labels[2] = 2 is out of range [0, 2)"),
                       Error);
  CHECK_THROWS_WITH_AS(
      raw::scatter_labels(zeros({2}, DType::Float64, Device::CUDA), to_cuda(i64({-3, 0})), 4),
      doctest::Contains("scatter_labels: labels[0] = -3 is out of range [0, 4)"), Error);
  CHECK_THROWS_WITH_AS(raw::one_hot(to_cuda(i64({1, 10})), 10),
                       doctest::Contains("one_hot: labels[1] = 10 is out of range [0, 10)"), Error);
  // An empty dim makes every index bad, even when the output has no elements.
  CHECK_THROWS_WITH_AS(
      raw::index_select(zeros({0, 3}, DType::Float32, Device::CUDA), 0, to_cuda(i64({0}))),
      doctest::Contains("index_select: index[0] = 0 is out of range [0, 0)"), Error);

  // Many threads see bad labels at once; the first position is the one reported, as on the CPU.
  std::vector<double> labels = random_indices(300000, 10, 80);
  labels[299999] = 10;
  labels[123457] = -1;
  labels[70001] = 12;
  CHECK_THROWS_WITH_AS(raw::one_hot(i64(labels), 10),
                       doctest::Contains("one_hot: labels[70001] = 12 is out of range [0, 10)"),
                       Error);
  CHECK_THROWS_WITH_AS(raw::one_hot(to_cuda(i64(labels)), 10),
                       doctest::Contains("one_hot: labels[70001] = 12 is out of range [0, 10)"),
                       Error);

  // A failed check leaves nothing behind: the next op on good labels works.
  Tensor ok = raw::one_hot(to_cuda(i64({1, 0})), 2, DType::Float64);
  CHECK(to_cpu(ok).to_vector() == std::vector<double>{0, 1, 1, 0});
}
