// The CUDA fused contrastive-loss ops against their CPU twins: raw::contrastive_forward and
// contrastive_backward (SupCon and BCL layouts), and supcon_loss / bcl_loss on the GPU, forward
// and gradients, with CPU or GPU labels.
#include <cmath>
#include <vector>

#include "autograd/ops.h"
#include "losses/bcl.h"
#include "losses/supcon.h"
#include "tests/losses/loss_test_util.h"
#include "tests/tensor/cuda_test_util.h"

using namespace bcl;
using bcl::test::check_cuda_matches;
using bcl::test::skip_without_gpu;
using bcl::test::to_cpu;
using bcl::test::to_cuda;

namespace {

struct Tolerances {
  double ld, loss_atol, loss_rtol, grad_atol, grad_rtol;
};

// Both devices take the same max of the same values (row_max, positives and class_count exact).
// log_denom sums w exp(L - m) in double in another order, rounds it to T and takes the log, and
// CUDA's exp/log may differ from glibc's by an ulp or two (float32: expf/logf): float64 ~1e-15,
// float32 ~5e-7 absolute (log turns the sum's relative error into an absolute one). loss =
// log_denom - mean(L_p - m) adds the rounding of values up to ~400 (1/T = 200). The gradient
// g (w exp(L - m - log_denom) - [p] / |P|), with g ~ N(0, 1) (up to ~4) and the bracket below 1,
// inherits log_denom's error as a relative one (float32 ~1e-6, float64 ~1e-15) and cancels near 0
// when one positive dominates, hence atol ~ 4 times that. A wrong index, weight or max moves
// values by 1e-2 or more.
Tolerances tolerances(DType dtype) {
  if (dtype == DType::Float64) return {1e-13, 1e-12, 1e-12, 1e-13, 1e-12};
  return {2e-6, 1e-5, 1e-5, 1e-5, 1e-5};
}

void check_forward_backward(const Tensor& logits, const Tensor& labels, int64_t c,
                            const Tensor& grad) {
  const Tolerances tol = tolerances(logits.dtype());
  const raw::ContrastiveParts cpu = raw::contrastive_forward(logits, labels, c);
  const raw::ContrastiveParts gpu = raw::contrastive_forward(to_cuda(logits), to_cuda(labels), c);
  REQUIRE(gpu.loss.device() == Device::CUDA);
  check_cuda_matches("contrastive_forward.row_max", gpu.row_max, cpu.row_max, 0, 0);
  check_cuda_matches("contrastive_forward.positives", gpu.positives, cpu.positives, 0, 0);
  if (c > 0) {
    check_cuda_matches("contrastive_forward.class_count", gpu.class_count, cpu.class_count, 0, 0);
  } else {
    CHECK_FALSE(gpu.class_count.defined());
  }
  check_cuda_matches("contrastive_forward.log_denom", gpu.log_denom, cpu.log_denom, tol.ld, tol.ld);
  check_cuda_matches("contrastive_forward.loss", gpu.loss, cpu.loss, tol.loss_atol, tol.loss_rtol);
  // Each device's backward from its own saved parts.
  const Tensor cpu_grad = raw::contrastive_backward(grad, logits, labels, cpu);
  const Tensor gpu_grad =
      raw::contrastive_backward(to_cuda(grad), to_cuda(logits), to_cuda(labels), gpu);
  check_cuda_matches("contrastive_backward", gpu_grad, cpu_grad, tol.grad_atol, tol.grad_rtol);
}

}  // namespace

TEST_CASE("cuda/contrastive_fused_matches_cpu") {
  if (skip_without_gpu()) return;
  // {images, views, classes (0: SupCon), classes used, logit scale}: K from 2 (a warp per row,
  // mostly idle) to 607 and 1,210 (several columns per thread of a 256-thread block, not a
  // multiple of it); BCL's size (B = 128, C = 10: K = 266); one view with singletons (rows without
  // a positive); three views; 1/T = 200 (the self-similarity would swamp a max with the diagonal);
  // more rows (M = 1,200) than one wave of blocks on small GPUs.
  struct Case {
    int64_t n, v, c, used;
    double scale;
  };
  const std::vector<Case> cases = {
      {1, 2, 0, 1, 3.0},       {7, 1, 0, 5, 3.0},      {5, 3, 0, 2, 3.0},   {1, 2, 1, 1, 3.0},
      {6, 2, 5, 3, 10.0},      {128, 2, 10, 10, 10.0}, {300, 2, 7, 7, 5.0}, {600, 2, 10, 3, 10.0},
      {33, 2, 100, 20, 200.0}, {64, 2, 0, 10, 200.0}};
  uint64_t seed = 800;
  for (DType dtype : {DType::Float64, DType::Float32}) {
    for (const Case& t : cases) {
      CAPTURE(dtype_name(dtype));
      CAPTURE(t.n);
      CAPTURE(t.v);
      CAPTURE(t.c);
      ++seed;
      const int64_t m = t.n * t.v, k = m + t.c;
      // Uniform in [-scale, scale], like cosines over the temperature.
      const Tensor logits = test::uniform({m, k}, -t.scale, t.scale, seed, dtype);
      const Tensor labels = test::labels_of(test::random_labels(t.n, t.used, seed));
      check_forward_backward(logits, labels, t.c, test::randn({m}, seed + 1, dtype));
    }
  }
}

TEST_CASE("cuda/contrastive_fused_strided_empty_and_bad_labels") {
  if (skip_without_gpu()) return;
  // Transposed logits and strided labels, read through contiguous copies (float64: rounding only).
  const Tensor storage = test::randn({12, 12}, 811);
  const Tensor labels = test::labels_of({2, 0, 2, 1, 0, 0});
  const Tensor logits = raw::transpose(storage, 0, 1);
  const Tensor logits_gpu = raw::transpose(to_cuda(storage), 0, 1);
  REQUIRE_FALSE(logits_gpu.is_contiguous());
  const Tensor labels_gpu =
      make_view(to_cuda(test::labels_of({2, 9, 0, 9, 2, 9, 1, 9, 0, 9, 0})), {6}, {2}, 0);
  REQUIRE(to_cpu(labels_gpu).to_vector() == labels.to_vector());
  const raw::ContrastiveParts cpu = raw::contrastive_forward(logits, labels, 0);
  const raw::ContrastiveParts gpu = raw::contrastive_forward(logits_gpu, labels_gpu, 0);
  check_cuda_matches("contrastive_forward.loss", gpu.loss, cpu.loss, 1e-12, 1e-12);
  const Tensor g = test::randn({12}, 812);
  check_cuda_matches("contrastive_backward",
                     raw::contrastive_backward(to_cuda(g), logits_gpu, labels_gpu, gpu),
                     raw::contrastive_backward(g, logits, labels, cpu), 1e-14, 1e-12);

  // No anchors: nothing launched but the class counts.
  const raw::ContrastiveParts none = raw::contrastive_forward(
      zeros({0, 3}, DType::Float32, Device::CUDA), to_cuda(test::labels_of({})), 3);
  CHECK(none.loss.numel() == 0);
  CHECK(none.loss.device() == Device::CUDA);
  CHECK(to_cpu(none.class_count).to_vector() == std::vector<double>{1, 1, 1});

  // GPU labels are not read back: an out-of-range one gives NaN, without reading out of bounds.
  const Tensor bad = to_cuda(test::labels_of({0, 5}));
  const raw::ContrastiveParts nan_parts =
      raw::contrastive_forward(to_cuda(test::randn({4, 7}, 813)), bad, 3);
  for (double v : to_cpu(nan_parts.loss).to_vector()) CHECK(std::isnan(v));
  // bcl_loss checks its labels on the host first, with its own message.
  const Tensor f = to_cuda(test::unit_rows(test::randn({2, 2, 4}, 814)));
  const Tensor p = to_cuda(test::unit_rows(test::randn({3, 4}, 815)));
  CHECK_THROWS_WITH_AS(losses::bcl_loss(f, bad, p, 0.1),
                       doctest::Contains("labels[1] = 5 is outside [0, 3)"), Error);
}

TEST_CASE("cuda/contrastive_losses_match_cpu") {
  if (skip_without_gpu()) return;
  // The losses end to end on the GPU (cuBLAS products, fused kernels, reductions) against the CPU,
  // forward and gradients, with the labels on the CPU and on the GPU. Float64: rounding only
  // (the products' and the sums' orders); float32: the products' rounding (cuBLAS may use another
  // order, ~1e-6 of each cosine) amplified by 1/T = 10 through exp, on losses of a few units and
  // gradients of size up to 1/T.
  for (DType dtype : {DType::Float64, DType::Float32}) {
    const bool f64 = dtype == DType::Float64;
    const double loss_tol = f64 ? 1e-12 : 2e-5;
    const double grad_atol = f64 ? 1e-12 : 5e-5, grad_rtol = f64 ? 1e-10 : 1e-3;
    for (bool labels_on_gpu : {false, true}) {
      CAPTURE(dtype_name(dtype));
      CAPTURE(labels_on_gpu);
      const std::vector<int64_t> y = test::random_labels(128, 10, 821);
      const Tensor labels = test::labels_of(y);
      const Tensor labels_dev = labels_on_gpu ? to_cuda(labels) : labels;
      const Tensor f = test::unit_rows(test::randn({128, 2, 128}, 822, dtype));
      const Tensor p = test::unit_rows(test::randn({10, 128}, 823, dtype));

      const Tensor f_cpu = test::param(raw::clone(f)), p_cpu = test::param(raw::clone(p));
      const Tensor f_gpu = test::param(to_cuda(f)), p_gpu = test::param(to_cuda(p));
      const Tensor bcl_cpu = losses::bcl_loss(f_cpu, labels, p_cpu, 0.1);
      const Tensor bcl_gpu = losses::bcl_loss(f_gpu, labels_dev, p_gpu, 0.1);
      check_cuda_matches("bcl_loss (fused)", bcl_gpu, bcl_cpu, loss_tol, loss_tol);
      backward(bcl_cpu);
      backward(bcl_gpu);
      check_cuda_matches("bcl_loss (fused) features gradient", f_gpu.grad(), f_cpu.grad(),
                         grad_atol, grad_rtol);
      check_cuda_matches("bcl_loss (fused) prototypes gradient", p_gpu.grad(), p_cpu.grad(),
                         grad_atol, grad_rtol);

      f_cpu.impl()->grad.reset();
      f_gpu.impl()->grad.reset();
      const Tensor sc_cpu = losses::supcon_loss(f_cpu, labels, 0.1);
      const Tensor sc_gpu = losses::supcon_loss(f_gpu, labels_dev, 0.1);
      check_cuda_matches("supcon_loss (fused)", sc_gpu, sc_cpu, loss_tol, loss_tol);
      backward(sc_cpu);
      backward(sc_gpu);
      check_cuda_matches("supcon_loss (fused) features gradient", f_gpu.grad(), f_cpu.grad(),
                         grad_atol, grad_rtol);
    }
  }
  // One view with a singleton label: the anchor count is read on the host, the singleton's loss
  // is 0 on both devices.
  const Tensor f1 = test::unit_rows(test::randn({5, 1, 6}, 831));
  const Tensor y1 = test::labels_of({3, 1, 3, 4, 1});
  check_cuda_matches("supcon_loss (fused)", losses::supcon_loss(to_cuda(f1), to_cuda(y1), 0.2),
                     losses::supcon_loss(f1, y1, 0.2), 1e-12, 1e-12);
}
