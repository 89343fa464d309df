// The CUDA reduction kernels (sum, mean, max, max_all, argmax) against the CPU kernels on the same
// inputs: every set of reduced dims of a 3-D tensor with and without keepdim (both kernel layouts,
// inner == 1 and inner > 1, and two-pass reductions), strided inputs, long runs, more outputs
// than one grid covers, size-1 and empty dims, ties and NaNs.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "tensor/kernels/reduce.h"
#include "tests/tensor/cuda_test_util.h"

using namespace bcl;
using bcl::test::check_cuda_matches;
using bcl::test::skip_without_gpu;
using bcl::test::to_cpu;
using bcl::test::to_cuda;

namespace {

Tensor random_tensor(const Shape& shape, DType dtype, uint64_t seed) {
  if (dtype == DType::Int64) return raw::to_dtype(test::uniform(shape, -50, 50, seed), dtype);
  return test::randn(shape, seed, dtype);
}

// Small integers in dtype: many ties, for max's first-index rule.
Tensor tied_tensor(const Shape& shape, DType dtype, uint64_t seed) {
  return raw::to_dtype(raw::to_dtype(test::uniform(shape, -4, 4, seed), DType::Int64), dtype);
}

struct Tolerance {
  double atol = 0, rtol = 0;
};

// How far a GPU sum (or mean) of x over dims may be from the CPU's.
//
// Both devices accumulate in double (float64 and float32 alike), in different orders. Each double
// sum of n terms is within (n - 1) 2^-53 S of the exact sum, S = sum |x| along the output's line,
// so the two differ by at most n 2^-52 S. A float32 result then rounds the double to float: the
// two roundings may land one ulp apart (rtol 2^-23). Non-adjacent dims take two passes, and
// float32 rounds between them: the second pass sums first-pass values that may each be an ulp
// apart, up to 2^-23 S in all. A mean scales all of it by 1 / n. Integer sums are exact.
Tolerance sum_tolerance(const Tensor& x, const std::vector<int64_t>& dims, bool mean) {
  if (x.dtype() == DType::Int64) return {};
  const std::vector<bool> reduced = reduced_dims(x.dim(), dims, "sum");
  int64_t n = 1, passes = 0;
  for (int64_t d = 0; d < x.dim(); ++d) {
    if (!reduced[d]) continue;
    n *= x.shape()[d];
    if (d == 0 || !reduced[d - 1]) ++passes;
  }
  if (n == 0) return {};
  const Tensor abs_x = raw::unary(raw::UnaryOp::Abs, raw::to_dtype(x, DType::Float64));
  const double s = raw::max_all(raw::sum(abs_x, dims)).item() / (mean ? static_cast<double>(n) : 1);
  const bool f32 = x.dtype() == DType::Float32;
  Tolerance t;
  t.atol =
      static_cast<double>(n) * std::ldexp(s, -52) + (f32 && passes > 1 ? std::ldexp(s, -23) : 0);
  t.rtol = f32 ? std::ldexp(1.0, -23) : std::ldexp(1.0, -52);  // the result's own rounding
  return t;
}

void check_sum_and_mean(const Tensor& x, const Tensor& x_gpu, const std::vector<int64_t>& dims,
                        bool keepdim) {
  Tensor cpu = raw::sum(x, dims, keepdim), gpu = raw::sum(x_gpu, dims, keepdim);
  CHECK(gpu.shape() == cpu.shape());
  Tolerance t = sum_tolerance(x, dims, false);
  check_cuda_matches("sum", gpu, cpu, t.atol, t.rtol);
  if (x.dtype() == DType::Int64) return;  // no integer mean
  Tensor cpu_mean = raw::mean(x, dims, keepdim), gpu_mean = raw::mean(x_gpu, dims, keepdim);
  CHECK(gpu_mean.shape() == cpu_mean.shape());
  t = sum_tolerance(x, dims, true);
  check_cuda_matches("mean", gpu_mean, cpu_mean, t.atol, t.rtol);
}

// max is exact: it picks an element, and the index rule is a total order.
void check_max(const Tensor& x, const Tensor& x_gpu, int64_t dim, bool keepdim) {
  raw::MaxResult cpu = raw::max(x, dim, keepdim), gpu = raw::max(x_gpu, dim, keepdim);
  CHECK(gpu.values.shape() == cpu.values.shape());
  CHECK(gpu.indices.dtype() == DType::Int64);
  check_cuda_matches("max", gpu.values, cpu.values, 0, 0);
  check_cuda_matches("argmax", gpu.indices, cpu.indices, 0, 0);
}

}  // namespace

TEST_CASE("cuda/sum_and_mean_over_dims") {
  if (skip_without_gpu()) return;
  const std::vector<std::vector<int64_t>> dim_sets = {{},     {0},    {1},    {2},      {-1},
                                                      {0, 1}, {1, 2}, {0, 2}, {0, 1, 2}};
  for (DType dtype : {DType::Float32, DType::Float64, DType::Int64}) {
    CAPTURE(dtype_name(dtype));
    // 7 * 33 * 301: no size a multiple of a block; dim 2 last gives inner == 1, dims 0 and 1
    // inner > 1 (301 outputs per block row: 9 slices of 32, the last partial).
    Tensor x = random_tensor({7, 33, 301}, dtype, 600);
    Tensor x_gpu = to_cuda(x);
    // A transposed input: the front-end makes it contiguous (on the GPU) first.
    Tensor xt = raw::transpose(x, 0, 2), xt_gpu = raw::transpose(x_gpu, 0, 2);
    for (const auto& dims : dim_sets) {
      for (bool keepdim : {false, true}) {
        CAPTURE(dims.size());
        CAPTURE(keepdim);
        check_sum_and_mean(x, x_gpu, dims, keepdim);
        check_sum_and_mean(xt, xt_gpu, dims, keepdim);
      }
    }
  }
}

TEST_CASE("cuda/sum_long_runs_and_many_outputs") {
  if (skip_without_gpu()) return;
  for (DType dtype : {DType::Float32, DType::Float64, DType::Int64}) {
    CAPTURE(dtype_name(dtype));
    // One run of 2^20 + 3 elements: each of 256 threads sums about 4096.
    Tensor a = random_tensor({(1 << 20) + 3}, dtype, 610);
    check_sum_and_mean(a, to_cuda(a), {}, false);
    // 70001 rows (more than the 65535 blocks of one launch) of 3, and 70001 x 2 columns of 2.
    Tensor b = random_tensor({70001, 3}, dtype, 611);
    check_sum_and_mean(b, to_cuda(b), {1}, false);
    Tensor c = random_tensor({70001, 2, 2}, dtype, 612);
    check_sum_and_mean(c, to_cuda(c), {1}, true);
    // A long reduced dim between others: 8 thread rows share each column's 100003 terms.
    Tensor d = random_tensor({3, 100003, 5}, dtype, 613);
    check_sum_and_mean(d, to_cuda(d), {1}, false);
    check_sum_and_mean(d, to_cuda(d), {0, 2}, false);
  }
}

TEST_CASE("cuda/sum_edge_cases") {
  if (skip_without_gpu()) return;
  for (DType dtype : {DType::Float32, DType::Float64, DType::Int64}) {
    CAPTURE(dtype_name(dtype));
    // Size-1 dims, reduced and kept.
    Tensor x = random_tensor({4, 1, 6}, dtype, 620);
    check_sum_and_mean(x, to_cuda(x), {1}, false);
    check_sum_and_mean(x, to_cuda(x), {0, 1}, true);
    // A 0-dim tensor: nothing to reduce, a copy comes back.
    Tensor s = random_tensor({}, dtype, 621);
    check_sum_and_mean(s, to_cuda(s), {}, false);
    // An empty reduced dim sums to 0; an empty kept dim gives an empty result.
    Tensor e = empty({0, 5}, dtype), e_gpu = to_cuda(e);
    check_cuda_matches("sum", raw::sum(e_gpu, {0}), raw::sum(e, {0}), 0, 0);
    check_cuda_matches("sum", raw::sum(e_gpu), raw::sum(e), 0, 0);
    CHECK(raw::sum(e_gpu, {1}).shape() == Shape{0});
    CHECK(raw::sum(to_cuda(empty({2, 0, 3}, dtype)), {1}).to_vector() == std::vector<double>(6, 0));
    if (dtype != DType::Int64) {
      // The mean over nothing is 0 / 0 on both devices.
      for (double v : raw::mean(e_gpu, {0}).to_vector()) CHECK(std::isnan(v));
    }
  }
  // Sums that cancel: the float32 result is near 0 while the terms are large; atol (from
  // sum |x|) carries the check.
  Tensor x = from_vector({1e8, 1, -1e8, 2, 3, -5, 0.25, -0.25}, {2, 4}, DType::Float32);
  check_sum_and_mean(x, to_cuda(x), {1}, false);
  check_sum_and_mean(x, to_cuda(x), {}, false);
}

TEST_CASE("cuda/max_over_dims") {
  if (skip_without_gpu()) return;
  for (DType dtype : {DType::Float32, DType::Float64, DType::Int64}) {
    CAPTURE(dtype_name(dtype));
    for (uint64_t seed : {700, 701}) {
      // Seed 700 gives distinct values, 701 many ties (values in -4..4, first index wins).
      Tensor x = seed == 700 ? random_tensor({7, 33, 301}, dtype, seed)
                             : tied_tensor({7, 33, 301}, dtype, seed);
      Tensor x_gpu = to_cuda(x);
      for (int64_t dim : {0, 1, 2, -1}) {
        for (bool keepdim : {false, true}) {
          CAPTURE(dim);
          CAPTURE(keepdim);
          check_max(x, x_gpu, dim, keepdim);
          // A transposed input, made contiguous by the front-end.
          check_max(raw::transpose(x, 0, 2), raw::transpose(x_gpu, 0, 2), dim, keepdim);
        }
      }
      check_cuda_matches("max", raw::max_all(x_gpu), raw::max_all(x), 0, 0);
      check_cuda_matches("argmax", raw::argmax(x_gpu, 1), raw::argmax(x, 1), 0, 0);
    }
  }
}

TEST_CASE("cuda/max_long_runs_many_outputs_and_edges") {
  if (skip_without_gpu()) return;
  for (DType dtype : {DType::Float32, DType::Float64, DType::Int64}) {
    CAPTURE(dtype_name(dtype));
    Tensor a = tied_tensor({(1 << 20) + 3}, dtype, 710);  // the max, 3, appears many times
    check_cuda_matches("max", raw::max_all(to_cuda(a)), raw::max_all(a), 0, 0);
    check_max(a, to_cuda(a), 0, false);
    Tensor b = random_tensor({70001, 3}, dtype, 711);
    check_max(b, to_cuda(b), 1, false);
    Tensor c = tied_tensor({70001, 2, 2}, dtype, 712);
    check_max(c, to_cuda(c), 1, true);
    Tensor d = random_tensor({3, 100003, 5}, dtype, 713);
    check_max(d, to_cuda(d), 1, false);
    // A size-1 reduced dim (index 0 everywhere), a single element, an empty kept dim.
    Tensor e = random_tensor({4, 1, 6}, dtype, 714);
    check_max(e, to_cuda(e), 1, false);
    Tensor one = random_tensor({1}, dtype, 715);
    check_max(one, to_cuda(one), 0, true);
    Tensor none = empty({0, 5}, dtype);
    raw::MaxResult r = raw::max(to_cuda(none), 1);
    CHECK(r.values.shape() == Shape{0});
    CHECK(r.indices.shape() == Shape{0});
  }
}

TEST_CASE("cuda/max_with_nans_and_signed_zeros") {
  if (skip_without_gpu()) return;
  const double nan = NAN;
  for (DType dtype : {DType::Float32, DType::Float64}) {
    CAPTURE(dtype_name(dtype));
    // Row 0: two NaNs (the first wins); row 1: -0 before +0 (a tie: the first, -0, wins); row 2: a
    // NaN at the last place; row 3: all NaN. 40 columns, so rows run over several threads.
    std::vector<double> v(4 * 40);
    for (size_t i = 0; i < v.size(); ++i) v[i] = std::sin(static_cast<double>(i)) - 2;
    v[0 * 40 + 13] = nan;
    v[0 * 40 + 37] = nan;
    v[1 * 40 + 5] = -0.0;
    v[1 * 40 + 30] = 0.0;
    v[2 * 40 + 39] = nan;
    for (int k = 0; k < 40; ++k) v[3 * 40 + k] = nan;
    Tensor x = from_vector(v, {4, 40}, dtype);
    // Along rows (inner == 1) and, transposed and made contiguous, along columns (inner > 1).
    for (const Tensor& t : {x, raw::contiguous(raw::transpose(x, 0, 1))}) {
      const int64_t dim = t.same(x) ? 1 : 0;
      raw::MaxResult cpu = raw::max(t, dim), gpu = raw::max(to_cuda(t), dim);
      CHECK(to_cpu(gpu.indices).to_vector() == std::vector<double>{13, 5, 39, 0});
      check_cuda_matches("argmax", gpu.indices, cpu.indices, 0, 0);
      const std::vector<double> gv = to_cpu(gpu.values).to_vector(), cv = cpu.values.to_vector();
      for (size_t i = 0; i < cv.size(); ++i) {
        CAPTURE(i);
        CHECK(std::isnan(gv[i]) == std::isnan(cv[i]));
        if (std::isnan(cv[i])) continue;
        CHECK(gv[i] == cv[i]);
        CHECK(std::signbit(gv[i]) == std::signbit(cv[i]));
      }
    }
    CHECK(std::isnan(raw::max_all(to_cuda(x)).item()));
  }
}
