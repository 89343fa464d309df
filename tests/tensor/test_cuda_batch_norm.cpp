// CUDA batch normalisation (cuDNN, tensor/kernels/batch_norm.cu) against the CPU kernels: train
// mode with its saved statistics and running-statistic updates, eval mode, and the backward, in
// float32 and float64, on ResNet-like [N, C, H, W], BatchNorm1d's [N, C] and a 3-D [N, C, L].
#include <string>

#include "tests/tensor/cuda_test_util.h"

using namespace bcl;
using bcl::test::check_cuda_matches;
using bcl::test::skip_without_gpu;
using bcl::test::to_cpu;
using bcl::test::to_cuda;

namespace {

// Tolerances (atol = rtol). cuDNN sums float32 statistics in float, the CPU in double: the
// statistics then differ by a few float ulps (~1e-7 relative), which the normalised outputs
// (|out| up to ~10) and the backward's sums (~sqrt(M) per channel) carry; 1e-4 leaves two orders
// of margin. In float64 only the order of the additions differs: ~1e-15 relative.
double tol(DType dtype) {
  return dtype == DType::Float32 ? 1e-4 : 1e-12;
}
// dgamma and dbeta are sums of M = N * S terms of size ~1: in float32 their rounding error grows
// to ~M * 6e-8 at worst (1e-5 for the M ~ 200 here), so they get an absolute 1e-3.
double sum_atol(DType dtype) {
  return dtype == DType::Float32 ? 1e-3 : 1e-12;
}

// ResNet-like shapes that are not multiples of any block size, BatchNorm1d's [N, C] (M = 16, where
// a biased running variance would be off by 1/15) and a 3-D input.
const Shape kShapes[] = {{3, 5, 7, 9}, {2, 16, 8, 8}, {16, 6}, {5, 3, 2}};

struct BatchNormCase {
  Tensor x, gamma, beta, running_mean, running_var;
};

// x ~ 3 + 2 N(0, 1), so the statistics are far from 0 and 1; running stats start off non-trivial.
BatchNormCase make_case(const Shape& shape, DType dtype, uint64_t seed) {
  const int64_t c = shape[1];
  BatchNormCase b;
  b.x = raw::add_scalar(raw::mul_scalar(test::randn(shape, seed, dtype), 2.0), 3.0);
  b.gamma = test::randn({c}, seed + 1, dtype);
  b.beta = test::randn({c}, seed + 2, dtype);
  b.running_mean = test::randn({c}, seed + 3, dtype);
  b.running_var = test::uniform({c}, 0.5, 2.0, seed + 4, dtype);
  return b;
}

// The error table keeps one row per op and dtype, since their tolerances differ.
std::string op_name(const char* op, DType dtype) {
  return std::string(op) + "/" + dtype_name(dtype);
}

Tensor cuda_or_undefined(const Tensor& t) {
  return t.defined() ? to_cuda(t) : Tensor();
}

void check_backward_matches(const raw::BatchNormGrads& gpu, const raw::BatchNormGrads& cpu,
                            DType dtype) {
  const double t = tol(dtype);
  check_cuda_matches(op_name("batch_norm_backward.grad_input", dtype), gpu.grad_input,
                     cpu.grad_input, t, t);
  check_cuda_matches(op_name("batch_norm_backward.grad_gamma", dtype), gpu.grad_gamma,
                     cpu.grad_gamma, sum_atol(dtype), t);
  check_cuda_matches(op_name("batch_norm_backward.grad_beta", dtype), gpu.grad_beta, cpu.grad_beta,
                     sum_atol(dtype), t);
}

}  // namespace

TEST_CASE("cuda/batch_norm_train_matches_cpu") {
  if (skip_without_gpu()) return;
  for (DType dtype : {DType::Float32, DType::Float64}) {
    for (const Shape& shape : kShapes) {
      CAPTURE(dtype_name(dtype));
      CAPTURE(shape_str(shape));
      const double t = tol(dtype);
      BatchNormCase b = make_case(shape, dtype, 10);
      Tensor rm_gpu = to_cuda(b.running_mean), rv_gpu = to_cuda(b.running_var);
      const Tensor x_gpu = to_cuda(b.x), gamma_gpu = to_cuda(b.gamma), beta_gpu = to_cuda(b.beta);
      // Three steps on new batches: each updates the running statistics the next one starts from.
      // momentum 0.3 and eps 1e-3 are not the defaults, so a swapped or ignored one shows.
      for (int step = 0; step < 3; ++step) {
        CAPTURE(step);
        const Tensor x = raw::add_scalar(b.x, 0.5 * step);
        const Tensor xg = raw::add_scalar(x_gpu, 0.5 * step);
        raw::BatchNormOutput cpu =
            raw::batch_norm_train(x, b.gamma, b.beta, b.running_mean, b.running_var, 0.3, 1e-3);
        raw::BatchNormOutput gpu =
            raw::batch_norm_train(xg, gamma_gpu, beta_gpu, rm_gpu, rv_gpu, 0.3, 1e-3);
        check_cuda_matches(op_name("batch_norm_train.out", dtype), gpu.out, cpu.out, t, t);
        check_cuda_matches(op_name("batch_norm_train.save_mean", dtype), gpu.save_mean,
                           cpu.save_mean, t, t);
        check_cuda_matches(op_name("batch_norm_train.save_invstd", dtype), gpu.save_invstd,
                           cpu.save_invstd, t, t);
        check_cuda_matches(op_name("batch_norm_train.running_mean", dtype), rm_gpu, b.running_mean,
                           t, t);
        check_cuda_matches(op_name("batch_norm_train.running_var", dtype), rv_gpu, b.running_var, t,
                           t);
      }
    }
  }
}

TEST_CASE("cuda/batch_norm_train_optional_arguments") {
  if (skip_without_gpu()) return;
  for (DType dtype : {DType::Float32, DType::Float64}) {
    CAPTURE(dtype_name(dtype));
    const double t = tol(dtype);
    // x is a non-contiguous view (the front-end lays it out); gamma, beta and the running
    // statistics are dropped in turn, and in the last case only running_mean is kept.
    BatchNormCase b = make_case({2, 16, 8, 8}, dtype, 30);
    const Tensor x = raw::transpose(b.x, 2, 3);
    const Tensor x_gpu = raw::transpose(to_cuda(b.x), 2, 3);
    REQUIRE_FALSE(x_gpu.is_contiguous());
    for (int variant = 0; variant < 4; ++variant) {
      CAPTURE(variant);
      const Tensor gamma = variant == 0 || variant == 3 ? Tensor() : b.gamma;
      const Tensor beta = variant == 1 || variant == 3 ? Tensor() : b.beta;
      Tensor rm = variant == 2 ? Tensor() : raw::clone(b.running_mean);
      Tensor rv = variant >= 2 ? Tensor() : raw::clone(b.running_var);
      Tensor rm_gpu = cuda_or_undefined(rm), rv_gpu = cuda_or_undefined(rv);
      raw::BatchNormOutput cpu = raw::batch_norm_train(x, gamma, beta, rm, rv, 0.1, 1e-5);
      raw::BatchNormOutput gpu = raw::batch_norm_train(
          x_gpu, cuda_or_undefined(gamma), cuda_or_undefined(beta), rm_gpu, rv_gpu, 0.1, 1e-5);
      check_cuda_matches(op_name("batch_norm_train.out", dtype), gpu.out, cpu.out, t, t);
      check_cuda_matches(op_name("batch_norm_train.save_mean", dtype), gpu.save_mean, cpu.save_mean,
                         t, t);
      check_cuda_matches(op_name("batch_norm_train.save_invstd", dtype), gpu.save_invstd,
                         cpu.save_invstd, t, t);
      if (rm.defined())
        check_cuda_matches(op_name("batch_norm_train.running_mean", dtype), rm_gpu, rm, t, t);
      if (rv.defined())
        check_cuda_matches(op_name("batch_norm_train.running_var", dtype), rv_gpu, rv, t, t);
    }
  }
}

TEST_CASE("cuda/batch_norm_eval_matches_cpu") {
  if (skip_without_gpu()) return;
  for (DType dtype : {DType::Float32, DType::Float64}) {
    for (const Shape& shape : kShapes) {
      CAPTURE(dtype_name(dtype));
      CAPTURE(shape_str(shape));
      const double t = tol(dtype);
      BatchNormCase b = make_case(shape, dtype, 40);
      Tensor cpu = raw::batch_norm_eval(b.x, b.gamma, b.beta, b.running_mean, b.running_var, 1e-3);
      Tensor gpu = raw::batch_norm_eval(to_cuda(b.x), to_cuda(b.gamma), to_cuda(b.beta),
                                        to_cuda(b.running_mean), to_cuda(b.running_var), 1e-3);
      check_cuda_matches(op_name("batch_norm_eval", dtype), gpu, cpu, t, t);
      // Without gamma and beta (1 and 0).
      cpu = raw::batch_norm_eval(b.x, Tensor(), Tensor(), b.running_mean, b.running_var, 1e-5);
      gpu = raw::batch_norm_eval(to_cuda(b.x), Tensor(), Tensor(), to_cuda(b.running_mean),
                                 to_cuda(b.running_var), 1e-5);
      check_cuda_matches(op_name("batch_norm_eval", dtype), gpu, cpu, t, t);
    }
  }
}

TEST_CASE("cuda/batch_norm_backward_matches_cpu") {
  if (skip_without_gpu()) return;
  for (DType dtype : {DType::Float32, DType::Float64}) {
    for (const Shape& shape : kShapes) {
      for (bool with_gamma : {true, false}) {
        CAPTURE(dtype_name(dtype));
        CAPTURE(shape_str(shape));
        CAPTURE(with_gamma);
        BatchNormCase b = make_case(shape, dtype, 50);
        const Tensor gamma = with_gamma ? b.gamma : Tensor();
        // Both backwards get the CPU forward's saved statistics, so only the backward is compared.
        raw::BatchNormOutput fwd =
            raw::batch_norm_train(b.x, gamma, b.beta, Tensor(), Tensor(), 0.1, 1e-5);
        const Tensor g = test::randn(shape, 51, dtype);
        raw::BatchNormGrads cpu =
            raw::batch_norm_backward(g, b.x, gamma, fwd.save_mean, fwd.save_invstd);
        raw::BatchNormGrads gpu =
            raw::batch_norm_backward(to_cuda(g), to_cuda(b.x), cuda_or_undefined(gamma),
                                     to_cuda(fwd.save_mean), to_cuda(fwd.save_invstd));
        check_backward_matches(gpu, cpu, dtype);
      }
    }
  }
}

TEST_CASE("cuda/batch_norm_forward_then_backward_on_gpu") {
  if (skip_without_gpu()) return;
  // The GPU backward fed by the GPU forward's own saved statistics, as in training.
  for (DType dtype : {DType::Float32, DType::Float64}) {
    CAPTURE(dtype_name(dtype));
    BatchNormCase b = make_case({4, 16, 8, 8}, dtype, 60);
    const Tensor g = test::randn(b.x.shape(), 61, dtype);
    raw::BatchNormOutput fwd_cpu =
        raw::batch_norm_train(b.x, b.gamma, b.beta, Tensor(), Tensor(), 0.1, 1e-5);
    raw::BatchNormGrads cpu =
        raw::batch_norm_backward(g, b.x, b.gamma, fwd_cpu.save_mean, fwd_cpu.save_invstd);
    const Tensor x_gpu = to_cuda(b.x), gamma_gpu = to_cuda(b.gamma);
    raw::BatchNormOutput fwd_gpu =
        raw::batch_norm_train(x_gpu, gamma_gpu, to_cuda(b.beta), Tensor(), Tensor(), 0.1, 1e-5);
    raw::BatchNormGrads gpu = raw::batch_norm_backward(to_cuda(g), x_gpu, gamma_gpu,
                                                       fwd_gpu.save_mean, fwd_gpu.save_invstd);
    check_backward_matches(gpu, cpu, dtype);
  }
}

TEST_CASE("cuda/batch_norm_empty_inputs") {
  if (skip_without_gpu()) return;
  for (DType dtype : {DType::Float32, DType::Float64}) {
    CAPTURE(dtype_name(dtype));
    // No channels: every output is empty.
    raw::BatchNormOutput r = raw::batch_norm_train(zeros({4, 0, 3}, dtype, Device::CUDA), Tensor(),
                                                   Tensor(), Tensor(), Tensor(), 0.1, 1e-5);
    CHECK(r.out.shape() == Shape{4, 0, 3});
    CHECK(r.save_mean.shape() == Shape{0});
    CHECK(r.out.device() == Device::CUDA);

    // No images: eval gives an empty output; the backward's per-channel sums are over nothing.
    const Tensor x = zeros({0, 3, 4, 4}, dtype, Device::CUDA);
    const Tensor stat = ones({3}, dtype, Device::CUDA);
    Tensor out = raw::batch_norm_eval(x, Tensor(), Tensor(), stat, stat, 1e-5);
    CHECK(out.shape() == Shape{0, 3, 4, 4});
    raw::BatchNormGrads cpu =
        raw::batch_norm_backward(zeros({0, 3, 4, 4}, dtype), zeros({0, 3, 4, 4}, dtype), Tensor(),
                                 ones({3}, dtype), ones({3}, dtype));
    raw::BatchNormGrads gpu = raw::batch_norm_backward(x, x, Tensor(), stat, stat);
    CHECK(gpu.grad_input.shape() == Shape{0, 3, 4, 4});
    CHECK(to_cpu(gpu.grad_gamma).to_vector() == cpu.grad_gamma.to_vector());
    CHECK(to_cpu(gpu.grad_beta).to_vector() == cpu.grad_beta.to_vector());
  }
}
