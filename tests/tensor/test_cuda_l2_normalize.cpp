// The CUDA l2_normalize kernels (along the last dim) and their backward against their CPU twins.
#include <vector>

#include "tests/tensor/cuda_test_util.h"

using namespace bcl;
using bcl::test::check_cuda_matches;
using bcl::test::skip_without_gpu;
using bcl::test::to_cpu;
using bcl::test::to_cuda;

namespace {

Tensor l2_input(const Shape& shape, DType dtype, uint64_t seed) {
  Tensor x = test::randn(shape, seed, dtype);
  if (x.numel() == 0) return x;  // reshape cannot infer -1 beside a 0
  Tensor rows = raw::reshape(x, {-1, shape.back()});
  if (rows.size(0) >= 2 && shape.back() > 0) {
    raw::fill_(raw::narrow(rows, 0, 0, 1), 0.0);
    raw::mul_(raw::narrow(rows, 0, 1, 1), 1e-4);
  }
  return x;
}

}  // namespace

TEST_CASE("cuda/l2_normalize_fused_matches_cpu") {
  if (skip_without_gpu()) return;
  // Tolerances. The norm's sum of squares (double, another order) may round to a different last
  // bit: y = x / norm then differs by an ulp or two (float64 ~1e-15 relative; float32 sums in
  // double and rounds to float, so y is nearly always exact). dx = (g - y s) / norm can cancel, so
  // it also gets an absolute tolerance; float32's CPU kernel may contract g - y s into an FMA.
  for (DType dtype : {DType::Float64, DType::Float32}) {
    const bool f64 = dtype == DType::Float64;
    const double y_atol = f64 ? 1e-15 : 1e-7, y_rtol = f64 ? 1e-14 : 1e-6;
    const double dx_atol = f64 ? 1e-13 : 2e-6, dx_rtol = f64 ? 1e-12 : 1e-5;
    // One element; many short rows (a warp each); a row wider than a block, not a multiple of it;
    // 3-D; no rows; rows of nothing (denom = eps).
    for (Shape shape : {Shape{1, 1}, Shape{1000, 2}, Shape{37, 129}, Shape{8, 4099},
                        Shape{5, 3, 300}, Shape{0, 4}, Shape{3, 0}}) {
      for (double eps : {1e-12, 1e-2}) {
        CAPTURE(dtype_name(dtype));
        CAPTURE(shape_str(shape));
        CAPTURE(eps);
        Tensor x = l2_input(shape, dtype, 81);
        Tensor g = test::randn(shape, 82, dtype);
        raw::L2NormalizeParts cpu = raw::l2_normalize_last(x, eps);
        raw::L2NormalizeParts gpu = raw::l2_normalize_last(to_cuda(x), eps);
        check_cuda_matches("l2_normalize_last.out", gpu.out, cpu.out, y_atol, y_rtol);
        check_cuda_matches("l2_normalize_last.denom", gpu.denom, cpu.denom, y_atol, y_rtol);
        check_cuda_matches("l2_normalize_last_backward",
                           raw::l2_normalize_last_backward(to_cuda(g), gpu.out, gpu.denom, eps),
                           raw::l2_normalize_last_backward(g, cpu.out, cpu.denom, eps), dx_atol,
                           dx_rtol);
      }
    }
  }
  // A transposed input, read through a contiguous copy (float64: rounding only).
  Tensor storage = test::randn({70, 33}, 83);
  raw::L2NormalizeParts cpu = raw::l2_normalize_last(raw::transpose(storage, 0, 1), 1e-12);
  raw::L2NormalizeParts gpu = raw::l2_normalize_last(raw::transpose(to_cuda(storage), 0, 1), 1e-12);
  check_cuda_matches("l2_normalize_last.out", gpu.out, cpu.out, 1e-15, 1e-14);
}
