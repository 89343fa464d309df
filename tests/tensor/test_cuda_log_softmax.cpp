// The CUDA log_softmax kernels (forward and backward) against the CPU kernels on the same inputs:
// every dim of 2-D and 3-D tensors (both kernel layouts: inner == 1, one block per line, and
// inner > 1, one thread per line), lines shorter than a warp and longer than a block, more lines
// than one grid covers, large inputs (stability), strided inputs, size-1 and empty dims.
#include <cmath>
#include <vector>

#include "tests/tensor/cuda_test_util.h"

using namespace bcl;
using bcl::test::check_cuda_matches;
using bcl::test::skip_without_gpu;
using bcl::test::to_cuda;

namespace {

double ulp(DType dtype) {
  return dtype == DType::Float32 ? std::ldexp(1.0, -23) : std::ldexp(1.0, -52);
}

// The forward: y = (x - max) - T(log sum exp(x - max)). max and x - max are the same on both
// devices (a max picks an element). The sum of `size` terms in (0, 1] runs in double in different
// orders, and CUDA's double exp (1 ulp) may differ from glibc's: the two log sums differ by about
// size 2^-52 (atol, doubled for margin). Rounding log_sum to T may then land an ulp apart, and
// |y| >= log_sum since x - max <= 0 <= log_sum, so with the final subtraction's rounding a few
// ulp of y (rtol, 4 ulp) cover the rest.
void check_forward(const Tensor& x, const Tensor& x_gpu, int64_t dim) {
  Tensor cpu = raw::log_softmax(x, dim), gpu = raw::log_softmax(x_gpu, dim);
  CHECK(gpu.shape() == cpu.shape());
  const double atol = 2 * static_cast<double>(x.size(dim) + 2) * std::ldexp(1.0, -52);
  check_cuda_matches("log_softmax", gpu, cpu, atol, 4 * ulp(x.dtype()));
}

// The backward: dx = dy - exp(y) * T(sum dy). With S = sum |dy| along the line: the double sums
// differ by size 2^-52 S; T(sum) may round an ulp apart (float32); exp(y) <= 1 differs by up to
// 3 ulp (CUDA's expf is within 2, glibc's within 1; for double 1 and 1); the product and the
// subtraction round once with an FMA or twice without. So atol = 8 ulp * S (+ size 2^-52 S) and
// rtol = 2 ulp for dx's own rounding. dy_gpu holds dy's values, in any layout.
void check_backward(const Tensor& dy, const Tensor& dy_gpu, const Tensor& y, int64_t dim) {
  Tensor cpu = raw::log_softmax_backward(dy, y, dim);
  Tensor gpu = raw::log_softmax_backward(dy_gpu, to_cuda(y), dim);
  CHECK(gpu.shape() == cpu.shape());
  if (dy.numel() == 0) return;
  const Tensor abs_dy = raw::unary(raw::UnaryOp::Abs, raw::to_dtype(dy, DType::Float64));
  const double s = raw::max_all(raw::sum(abs_dy, {dim})).item();
  const double size = static_cast<double>(dy.size(dim));
  const double atol = (8 * ulp(dy.dtype()) + size * std::ldexp(1.0, -52)) * s;
  check_cuda_matches("log_softmax_backward", gpu, cpu, atol, 2 * ulp(dy.dtype()));
}

// Both directions for x (on the CPU) along dim; y comes from the CPU forward, so the backward is
// checked on its own.
void check_both(const Tensor& x, int64_t dim, uint64_t seed) {
  check_forward(x, to_cuda(x), dim);
  Tensor y = raw::log_softmax(x, dim);
  Tensor dy = test::randn(x.shape(), seed, x.dtype());
  check_backward(dy, to_cuda(dy), y, dim);
}

}  // namespace

TEST_CASE("cuda/log_softmax_every_dim") {
  if (skip_without_gpu()) return;
  for (DType dtype : {DType::Float32, DType::Float64}) {
    CAPTURE(dtype_name(dtype));
    // Logits [67, 1000]: dim 1 is one block of 256 threads per line, each thread taking 3-4
    // elements; dim 0 is 1000 lines of 67, one thread each.
    Tensor logits = raw::mul_scalar(test::randn({67, 1000}, 800, dtype), 3.0);
    for (int64_t dim : {1, 0, -1}) {
      CAPTURE(dim);
      check_both(logits, dim, 801);
    }
    // [3, 7, 11]: every dim, lines of 3 (shorter than the 32-thread minimum block), 7 and 11.
    Tensor x = raw::mul_scalar(test::randn({3, 7, 11}, 802, dtype), 2.0);
    for (int64_t dim : {0, 1, 2}) {
      CAPTURE(dim);
      check_both(x, dim, 803);
    }
    // 10 classes, the CIFAR case; and 100.
    Tensor c10 = test::randn({128, 10}, 804, dtype), c100 = test::randn({128, 100}, 805, dtype);
    check_both(c10, 1, 806);
    check_both(c100, 1, 807);
  }
}

TEST_CASE("cuda/log_softmax_long_lines_and_many_lines") {
  if (skip_without_gpu()) return;
  for (DType dtype : {DType::Float32, DType::Float64}) {
    CAPTURE(dtype_name(dtype));
    // 70001 lines (more than the 65535 blocks of one launch) of 3.
    Tensor many = test::randn({70001, 3}, 810, dtype);
    check_both(many, 1, 811);
    // Lines of 5000 along the last dim (about 20 elements per thread) and along the middle dim.
    Tensor row = test::randn({3, 5000}, 812, dtype);
    check_both(row, 1, 813);
    Tensor mid = test::randn({2, 5000, 4}, 814, dtype);
    check_both(mid, 1, 815);
  }
}

TEST_CASE("cuda/log_softmax_large_strided_and_edge_inputs") {
  if (skip_without_gpu()) return;
  for (DType dtype : {DType::Float32, DType::Float64}) {
    CAPTURE(dtype_name(dtype));
    // Inputs around +-1000, where exp without the max shift overflows.
    Tensor big = raw::add_scalar(raw::mul_scalar(test::randn({9, 300}, 820, dtype), 1000.0), 500);
    check_both(big, 1, 821);
    check_both(big, 0, 822);
    Tensor big_gpu_out = raw::log_softmax(to_cuda(big), 1);
    for (double v : big_gpu_out.to_vector()) CHECK(std::isfinite(v));

    // A transposed input (and grad_out): the front-end makes both contiguous on the GPU.
    Tensor storage = test::randn({40, 17}, 823, dtype);
    Tensor xt = raw::transpose(storage, 0, 1);
    Tensor xt_gpu = raw::transpose(to_cuda(storage), 0, 1);
    REQUIRE_FALSE(xt_gpu.is_contiguous());
    for (int64_t dim : {0, 1}) {
      CAPTURE(dim);
      check_forward(xt, xt_gpu, dim);
      Tensor y = raw::log_softmax(xt, dim);
      Tensor dy_storage = test::randn({40, 17}, 824, dtype);
      check_backward(raw::transpose(dy_storage, 0, 1), raw::transpose(to_cuda(dy_storage), 0, 1), y,
                     dim);
    }

    // A line of one element: log_softmax is 0 and the gradient dy - dy = 0.
    Tensor one = test::randn({4, 1}, 825, dtype);
    check_both(one, 1, 826);
    CHECK(raw::log_softmax(to_cuda(one), 1).to_vector() == std::vector<double>(4, 0.0));
    // A 1-D input, and equal entries (log 1/n each).
    Tensor flat = test::randn({257}, 827, dtype);
    check_both(flat, 0, 828);
    Tensor equal = full({2, 6}, 3.5, dtype);
    check_both(equal, 1, 829);
    // Empty: no lines, or lines of length 0.
    for (const Shape& shape : {Shape{0, 10}, Shape{4, 0}}) {
      Tensor e = empty(shape, dtype);
      for (int64_t dim : {0, 1}) {
        Tensor out = raw::log_softmax(to_cuda(e), dim);
        CHECK(out.shape() == shape);
        CHECK(raw::log_softmax_backward(to_cuda(e), to_cuda(e), dim).shape() == shape);
      }
    }
  }
}
