// The CUDA fused ops against their CPU twins: cross-entropy forward and backward, L2 normalisation
// along the last dim and its backward, and the SGD step (also through nn::SGD).
#include <vector>

#include "nn/optim.h"
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

TEST_CASE("cuda/sgd_step_fused_matches_cpu") {
  if (skip_without_gpu()) return;
  // Tolerance. The CUDA kernel spells out the CPU kernel's rounding when the CPU build contracts
  // dst += alpha * src into an FMA (-O3 -march=native on a CPU with FMA): then they agree bit for
  // bit, which the message below reports. Without FMA on the CPU they differ by an ulp or so per
  // step: float64 1e-14 relative, float32 1e-6 (atol for values near 0).
  const std::vector<raw::SgdStepParams> all = {
      {0.1, 0.0, 0.0, false, false}, {0.1, 0.0, 5e-4, false, false},
      {0.1, 0.9, 0.0, false, false}, {0.1, 0.9, 5e-4, false, false},
      {0.1, 0.9, 5e-4, true, false}, {0.05, 0.9, 1e-4, true, false}};
  for (DType dtype : {DType::Float64, DType::Float32}) {
    const bool f64 = dtype == DType::Float64;
    const double atol = f64 ? 1e-15 : 1e-7, rtol = f64 ? 1e-14 : 1e-6;
    for (int64_t n : {int64_t{1}, int64_t{1000}, int64_t{(1 << 20) + 3}}) {
      for (raw::SgdStepParams s : all) {
        CAPTURE(dtype_name(dtype));
        CAPTURE(n);
        CAPTURE(s.momentum);
        CAPTURE(s.weight_decay);
        CAPTURE(s.nesterov);
        Tensor p = test::randn({n}, 91, dtype);
        Tensor p_gpu = to_cuda(p);
        Tensor buf = s.momentum != 0 ? empty({n}, dtype) : Tensor();
        Tensor buf_gpu = s.momentum != 0 ? empty({n}, dtype, Device::CUDA) : Tensor();
        bool bitwise = true;
        for (int step = 0; step < 3; ++step) {
          s.first_step = step == 0;
          Tensor g = test::randn({n}, 92 + step, dtype);
          raw::sgd_step_(p, g, buf, s);
          raw::sgd_step_(p_gpu, to_cuda(g), buf_gpu, s);
          check_cuda_matches("sgd_step_.param", p_gpu, p, atol, rtol);
          bitwise = bitwise && to_cpu(p_gpu).to_vector() == p.to_vector();
          if (s.momentum != 0) {
            check_cuda_matches("sgd_step_.momentum_buf", buf_gpu, buf, atol, rtol);
            bitwise = bitwise && to_cpu(buf_gpu).to_vector() == buf.to_vector();
          }
        }
        if (!bitwise) MESSAGE("sgd_step_: CUDA within tolerance but not bitwise equal to the CPU");
      }
    }
  }
}

TEST_CASE("cuda/sgd_optimizer_on_cuda_parameters") {
  if (skip_without_gpu()) return;
  // nn::SGD over a CUDA parameter takes the fused kernel and keeps its buffer on the GPU; the
  // values follow the CPU optimiser's (tolerance as in sgd_step_fused_matches_cpu, float32).
  const nn::SGDOptions o{0.1, 0.9, 5e-4, true};
  Tensor init = test::randn({33, 65}, 101, DType::Float32);
  Tensor p = test::param(raw::clone(init));
  Tensor p_gpu = test::param(to_cuda(init));
  nn::SGD sgd({{"w", p}}, o);
  nn::SGD sgd_gpu({{"w", p_gpu}}, o);
  for (int step = 0; step < 3; ++step) {
    Tensor g = test::randn({33, 65}, 102 + step, DType::Float32);
    p.set_grad(g);
    p_gpu.set_grad(to_cuda(g));
    sgd.step();
    sgd_gpu.step();
  }
  check_cuda_matches("sgd_step_.param", p_gpu, p, 1e-7, 1e-6);
  Tensor buf_gpu = sgd_gpu.state_dict().at("momentum.w");
  CHECK(buf_gpu.device() == Device::CUDA);
  check_cuda_matches("sgd_step_.momentum_buf", buf_gpu, sgd.state_dict().at("momentum.w"), 1e-7,
                     1e-6);
}
