// The CUDA cross_entropy kernels against their CPU twins: forward and backward, with and
// without the logit offset, strided logits and edge cases.
#include <vector>

#include "tests/tensor/cuda_test_util.h"

using namespace bcl;
using bcl::test::check_cuda_matches;
using bcl::test::skip_without_gpu;
using bcl::test::to_cpu;
using bcl::test::to_cuda;

namespace {

Tensor labels_for(int64_t n, int64_t c) {
  std::vector<double> y(n);
  for (int64_t i = 0; i < n; ++i) y[i] = static_cast<double>((i * 7 + 3) % c);
  return from_vector(y, {n}, DType::Int64);
}

Tensor maybe_cuda(const Tensor& t) {
  return t.defined() ? to_cuda(t) : Tensor();
}

// Rows of x: random, then row 0 zero and row 1 tiny (below eps = 1e-2), when there are rows.

}  // namespace

TEST_CASE("cuda/cross_entropy_fused_matches_cpu") {
  if (skip_without_gpu()) return;
  // Tolerances. Both devices take the same max and the same z = logits + offset, so row_max is
  // exact. log_sum sums exp in double in another order, and CUDA's exp/log may differ from glibc's
  // by an ulp: float64 ~1e-15 relative (atol for log_sum near 0, one dominant class); float32
  // rounds the same double to float, so at most an ulp apart. nll = -((z_y - max) - log_sum)
  // inherits log_sum's error on values up to ~40. The gradients add expf's 2 ulp (float32).
  for (DType dtype : {DType::Float64, DType::Float32}) {
    const bool f64 = dtype == DType::Float64;
    const double ls_tol = f64 ? 1e-13 : 1e-6;
    const double nll_atol = f64 ? 1e-12 : 1e-5, nll_rtol = f64 ? 1e-12 : 1e-6;
    const double grad_atol = f64 ? 1e-15 : 1e-8, grad_rtol = f64 ? 1e-12 : 1e-5;
    // Rows of 1 class, a few classes (a warp per row), 1000 and 4099 classes (several elements per
    // thread of a 256-thread block, not a multiple of it), and many rows.
    for (Shape shape :
         {Shape{1, 1}, Shape{7, 5}, Shape{37, 1000}, Shape{3, 4099}, Shape{2000, 10}}) {
      for (bool with_offset : {false, true}) {
        CAPTURE(dtype_name(dtype));
        CAPTURE(shape_str(shape));
        CAPTURE(with_offset);
        const int64_t n = shape[0], c = shape[1];
        Tensor logits = raw::mul_scalar(test::randn(shape, 61, dtype), 5.0);
        Tensor labels = labels_for(n, c);
        Tensor offset = with_offset ? test::randn({c}, 62, dtype) : Tensor();
        Tensor g_scalar = scalar(0.75, dtype);
        Tensor g_rows = test::randn({n}, 63, dtype);

        raw::CrossEntropyParts cpu = raw::cross_entropy_forward(logits, labels, offset);
        raw::CrossEntropyParts gpu =
            raw::cross_entropy_forward(to_cuda(logits), to_cuda(labels), maybe_cuda(offset));
        check_cuda_matches("cross_entropy_forward.row_max", gpu.row_max, cpu.row_max, 0, 0);
        check_cuda_matches("cross_entropy_forward.log_sum", gpu.log_sum, cpu.log_sum, ls_tol,
                           ls_tol);
        check_cuda_matches("cross_entropy_forward.nll", gpu.nll, cpu.nll, nll_atol, nll_rtol);

        // The backward from each device's own saved parts, for a scalar and a per-row gradient.
        for (const Tensor& g : {g_scalar, g_rows}) {
          const double scale = 1.0 / static_cast<double>(n);
          Tensor cpu_grad = raw::cross_entropy_backward(g, scale, logits, labels, offset,
                                                        cpu.row_max, cpu.log_sum);
          Tensor gpu_grad =
              raw::cross_entropy_backward(to_cuda(g), scale, to_cuda(logits), to_cuda(labels),
                                          maybe_cuda(offset), gpu.row_max, gpu.log_sum);
          check_cuda_matches("cross_entropy_backward", gpu_grad, cpu_grad, grad_atol, grad_rtol);
        }
      }
    }
  }
}

TEST_CASE("cuda/cross_entropy_fused_strided_and_edge_cases") {
  if (skip_without_gpu()) return;
  // Transposed logits of about 1000 (exp must not overflow), read through a contiguous copy.
  // Float64, so the tolerance is rounding: 1e-12 on nll values of a few units.
  Tensor storage = raw::add_scalar(test::randn({6, 9}, 71), 1000.0);
  Tensor labels = labels_for(9, 6);
  Tensor logits = raw::transpose(storage, 0, 1);
  Tensor logits_gpu = raw::transpose(to_cuda(storage), 0, 1);
  REQUIRE_FALSE(logits_gpu.is_contiguous());
  raw::CrossEntropyParts cpu = raw::cross_entropy_forward(logits, labels, Tensor());
  raw::CrossEntropyParts gpu = raw::cross_entropy_forward(logits_gpu, to_cuda(labels), Tensor());
  check_cuda_matches("cross_entropy_forward.nll", gpu.nll, cpu.nll, 1e-12, 1e-12);
  Tensor g = scalar(1.0, DType::Float64);
  check_cuda_matches(
      "cross_entropy_backward",
      raw::cross_entropy_backward(to_cuda(g), 0.5, logits_gpu, to_cuda(labels), Tensor(),
                                  gpu.row_max, gpu.log_sum),
      raw::cross_entropy_backward(g, 0.5, logits, labels, Tensor(), cpu.row_max, cpu.log_sum),
      1e-15, 1e-12);

  // An empty batch launches nothing.
  raw::CrossEntropyParts none = raw::cross_entropy_forward(
      zeros({0, 4}, DType::Float32, Device::CUDA), to_cuda(labels_for(0, 4)), Tensor());
  CHECK(none.nll.numel() == 0);
  CHECK(none.nll.device() == Device::CUDA);

  // Labels are checked on the host, with the CPU's message.
  Tensor bad = to_cuda(from_vector({0, 4, 1}, {3}, DType::Int64));
  CHECK_THROWS_WITH_AS(
      raw::cross_entropy_forward(zeros({3, 4}, DType::Float32, Device::CUDA), bad, Tensor()),
      "gather_labels: labels[1] = 4 is out of range [0, 4)", Error);
}
