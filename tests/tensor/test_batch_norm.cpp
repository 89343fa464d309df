// Batch normalisation: the fast kernels against the reference loops, hand-computed values, the
// eval mode and argument errors.
#include <cmath>

#include "tests/test_util.h"

using namespace bcl;

namespace {

// Tolerances of fast vs reference: both accumulate in double, so they differ only by the order of
// the final float operations (about 1 ulp of the result type, a few ulps after the backward's
// three terms).
double tolerance(DType dtype) {
  return dtype == DType::Float32 ? 1e-5 : 1e-12;
}

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

}  // namespace

TEST_CASE("batch_norm/train_matches_reference") {
  // The last shape has 65536 elements, enough for the parallel path.
  for (DType dtype : {DType::Float64, DType::Float32}) {
    for (const Shape& shape : {Shape{8, 3, 5, 4}, Shape{16, 6}, Shape{32, 8, 16, 16}}) {
      CAPTURE(dtype_name(dtype));
      CAPTURE(shape_str(shape));
      const double tol = tolerance(dtype);
      BatchNormCase fast = make_case(shape, dtype, 10);
      BatchNormCase ref = make_case(shape, dtype, 10);
      raw::BatchNormOutput f = raw::batch_norm_train(
          fast.x, fast.gamma, fast.beta, fast.running_mean, fast.running_var, 0.1, 1e-5);
      raw::BatchNormOutput r = raw::batch_norm_train_reference(
          ref.x, ref.gamma, ref.beta, ref.running_mean, ref.running_var, 0.1, 1e-5);
      CHECK_ALLCLOSE(f.out, r.out, tol, tol);
      CHECK_ALLCLOSE(f.save_mean, r.save_mean, tol, tol);
      CHECK_ALLCLOSE(f.save_invstd, r.save_invstd, tol, tol);
      CHECK_ALLCLOSE(fast.running_mean, ref.running_mean, tol, tol);
      CHECK_ALLCLOSE(fast.running_var, ref.running_var, tol, tol);
    }
  }
}

TEST_CASE("batch_norm/backward_matches_reference") {
  for (DType dtype : {DType::Float64, DType::Float32}) {
    for (const Shape& shape : {Shape{8, 3, 5, 4}, Shape{16, 6}, Shape{32, 8, 16, 16}}) {
      CAPTURE(dtype_name(dtype));
      CAPTURE(shape_str(shape));
      const double tol = 4 * tolerance(dtype);
      BatchNormCase b = make_case(shape, dtype, 20);
      raw::BatchNormOutput fwd =
          raw::batch_norm_train_reference(b.x, b.gamma, b.beta, Tensor(), Tensor(), 0.1, 1e-5);
      Tensor g = test::randn(shape, 21, dtype);
      raw::BatchNormGrads f =
          raw::batch_norm_backward(g, b.x, b.gamma, fwd.save_mean, fwd.save_invstd);
      raw::BatchNormGrads r =
          raw::batch_norm_backward_reference(g, b.x, b.gamma, fwd.save_mean, fwd.save_invstd);
      CHECK_ALLCLOSE(f.grad_input, r.grad_input, tol, tol);
      CHECK_ALLCLOSE(f.grad_gamma, r.grad_gamma, tol, tol);
      CHECK_ALLCLOSE(f.grad_beta, r.grad_beta, tol, tol);
    }
  }
}

TEST_CASE("batch_norm/train_hand_values_1d") {
  // One channel of 1, 2, 3, 4: mean 2.5, biased variance 1.25, unbiased 5/3.
  const double eps = 1e-5;
  Tensor x = from_vector({1, 2, 3, 4}, {4, 1}, DType::Float64);
  Tensor rm = zeros({1}, DType::Float64), rv = ones({1}, DType::Float64);
  raw::BatchNormOutput r = raw::batch_norm_train(x, Tensor(), Tensor(), rm, rv, 0.1, eps);
  const double invstd = 1 / std::sqrt(1.25 + eps);
  Tensor expected = from_vector({-1.5 * invstd, -0.5 * invstd, 0.5 * invstd, 1.5 * invstd}, {4, 1},
                                DType::Float64);
  CHECK_ALLCLOSE(r.out, expected, 1e-14, 1e-14);
  CHECK(r.save_mean.item() == doctest::Approx(2.5).epsilon(1e-14));
  CHECK(r.save_invstd.item() == doctest::Approx(invstd).epsilon(1e-14));
  // running = 0.9 running + 0.1 batch.
  CHECK(rm.item() == doctest::Approx(0.25).epsilon(1e-14));
  CHECK(rv.item() == doctest::Approx(0.9 + 0.1 * 5.0 / 3.0).epsilon(1e-14));
}

TEST_CASE("batch_norm/train_hand_values_2d") {
  // x [2, 2, 1, 2]. Channel 0 holds 1, 3 (n = 0) and 5, 7 (n = 1): mean 4, variance 5.
  // Channel 1 holds 0, 0 and 2, 2: mean 1, variance 1.
  const double eps = 1e-5;
  Tensor x = from_vector({1, 3, 0, 0, 5, 7, 2, 2}, {2, 2, 1, 2}, DType::Float64);
  Tensor gamma = from_vector({2, -1}, {2}, DType::Float64);
  Tensor beta = from_vector({0.5, 0}, {2}, DType::Float64);
  raw::BatchNormOutput r = raw::batch_norm_train(x, gamma, beta, Tensor(), Tensor(), 0.1, eps);
  const double s0 = 2 / std::sqrt(5 + eps), s1 = -1 / std::sqrt(1 + eps);
  Tensor expected = from_vector({-3 * s0 + 0.5, -1 * s0 + 0.5, -1 * s1, -1 * s1,  //
                                 1 * s0 + 0.5, 3 * s0 + 0.5, 1 * s1, 1 * s1},
                                {2, 2, 1, 2}, DType::Float64);
  CHECK_ALLCLOSE(r.out, expected, 1e-14, 1e-14);
  CHECK_ALLCLOSE(r.save_mean, from_vector({4, 1}, {2}, DType::Float64), 1e-14, 1e-14);
}

TEST_CASE("batch_norm/undefined_gamma_beta_mean_one_and_zero") {
  BatchNormCase b = make_case({6, 3, 2, 2}, DType::Float64, 30);
  Tensor one = ones({3}, DType::Float64), zero = zeros({3}, DType::Float64);
  raw::BatchNormOutput plain =
      raw::batch_norm_train(b.x, Tensor(), Tensor(), Tensor(), Tensor(), 0.1, 1e-5);
  raw::BatchNormOutput affine =
      raw::batch_norm_train(b.x, one, zero, Tensor(), Tensor(), 0.1, 1e-5);
  CHECK_ALLCLOSE(plain.out, affine.out, 1e-15, 1e-15);
  CHECK_ALLCLOSE(raw::batch_norm_eval(b.x, Tensor(), Tensor(), b.running_mean, b.running_var, 1e-5),
                 raw::batch_norm_eval(b.x, one, zero, b.running_mean, b.running_var, 1e-5), 1e-15,
                 1e-15);
  Tensor g = test::randn(b.x.shape(), 31);
  raw::BatchNormGrads gp =
      raw::batch_norm_backward(g, b.x, Tensor(), plain.save_mean, plain.save_invstd);
  raw::BatchNormGrads ga =
      raw::batch_norm_backward(g, b.x, one, plain.save_mean, plain.save_invstd);
  CHECK_ALLCLOSE(gp.grad_input, ga.grad_input, 1e-15, 1e-15);
  // grad_gamma and grad_beta are returned even without gamma: those of an implicit gamma = 1.
  CHECK_ALLCLOSE(gp.grad_gamma, ga.grad_gamma, 1e-15, 1e-15);
  CHECK_ALLCLOSE(gp.grad_beta, ga.grad_beta, 1e-15, 1e-15);
}

TEST_CASE("batch_norm/backward_properties") {
  // dbeta = sum g and dgamma = sum(g xh) per channel, with xh the output for gamma 1, beta 0; and
  // dx sums to 0 over each channel (the mean is subtracted, so a shift of x changes nothing).
  BatchNormCase b = make_case({5, 3, 2, 3}, DType::Float64, 40);
  raw::BatchNormOutput r =
      raw::batch_norm_train(b.x, Tensor(), Tensor(), Tensor(), Tensor(), 0.1, 1e-5);
  Tensor g = test::randn(b.x.shape(), 41);
  raw::BatchNormGrads d = raw::batch_norm_backward(g, b.x, b.gamma, r.save_mean, r.save_invstd);
  CHECK_ALLCLOSE(d.grad_beta, raw::sum(g, {0, 2, 3}), 1e-12, 1e-12);
  CHECK_ALLCLOSE(d.grad_gamma, raw::sum(raw::mul(g, r.out), {0, 2, 3}), 1e-12, 1e-12);
  CHECK_ALLCLOSE(raw::sum(d.grad_input, {0, 2, 3}), zeros({3}, DType::Float64), 1e-12, 0);
}

TEST_CASE("batch_norm/eval_hand_values") {
  // out = gamma (x - running_mean) / sqrt(running_var + eps) + beta, channel by channel.
  const double eps = 1e-5;
  Tensor x = from_vector({3, 0, -1, 2}, {2, 2}, DType::Float64);
  Tensor rm = from_vector({1, -1}, {2}, DType::Float64);
  Tensor rv = from_vector({4, 0.25}, {2}, DType::Float64);
  Tensor gamma = from_vector({1, 2}, {2}, DType::Float64);
  Tensor beta = from_vector({0, 1}, {2}, DType::Float64);
  Tensor out = raw::batch_norm_eval(x, gamma, beta, rm, rv, eps);
  const double i0 = 1 / std::sqrt(4 + eps), i1 = 1 / std::sqrt(0.25 + eps);
  Tensor expected =
      from_vector({2 * i0, 2 * i1 + 1, -2 * i0, 2 * 3 * i1 + 1}, {2, 2}, DType::Float64);
  CHECK_ALLCLOSE(out, expected, 1e-14, 1e-14);
  // The running statistics are only read.
  CHECK(rm.to_vector() == std::vector<double>{1, -1});
  CHECK(rv.to_vector() == std::vector<double>{4, 0.25});
}

TEST_CASE("batch_norm/eval_float32_4d") {
  BatchNormCase b = make_case({4, 5, 3, 3}, DType::Float32, 50);
  Tensor out = raw::batch_norm_eval(b.x, b.gamma, b.beta, b.running_mean, b.running_var, 1e-5);
  // The same formula from broadcasting raw ops in float64.
  auto f64 = [](const Tensor& t) { return raw::to_dtype(t, DType::Float64); };
  auto per_channel = [&](const Tensor& t) { return raw::reshape(f64(t), {1, 5, 1, 1}); };
  Tensor expected = raw::add(
      raw::mul(raw::mul(raw::sub(f64(b.x), per_channel(b.running_mean)), per_channel(b.gamma)),
               raw::rsqrt(raw::add_scalar(per_channel(b.running_var), 1e-5))),
      per_channel(b.beta));
  CHECK_ALLCLOSE(raw::to_dtype(out, DType::Float64), expected, 1e-5, 1e-5);
}

TEST_CASE("batch_norm/undefined_running_stats_are_not_updated") {
  BatchNormCase b = make_case({4, 2}, DType::Float64, 60);
  raw::BatchNormOutput with =
      raw::batch_norm_train(b.x, b.gamma, b.beta, b.running_mean, b.running_var, 0.1, 1e-5);
  raw::BatchNormOutput without =
      raw::batch_norm_train(b.x, b.gamma, b.beta, Tensor(), Tensor(), 0.1, 1e-5);
  CHECK(with.out.to_vector() == without.out.to_vector());
}

TEST_CASE("batch_norm/errors") {
  Tensor x = test::randn({4, 3, 2, 2}, 70);
  Tensor c3 = ones({3}, DType::Float64), c4 = ones({4}, DType::Float64);
  CHECK_THROWS_WITH_AS(raw::batch_norm_train(test::randn({4}, 71), Tensor(), Tensor(), Tensor(),
                                             Tensor(), 0.1, 1e-5),
                       doctest::Contains("batch_norm_train: input must be [N, C, *]"), Error);
  CHECK_THROWS_WITH_AS(raw::batch_norm_train(x, c4, Tensor(), Tensor(), Tensor(), 0.1, 1e-5),
                       doctest::Contains("batch_norm_train: gamma has shape [4]"), Error);
  CHECK_THROWS_WITH_AS(raw::batch_norm_train(x, c3, c3, c3, c4, 0.1, 1e-5),
                       doctest::Contains("running_var has shape [4]"), Error);
  CHECK_THROWS_WITH_AS(raw::batch_norm_train(x, ones({3}), Tensor(), Tensor(), Tensor(), 0.1, 1e-5),
                       doctest::Contains("batch_norm_train: gamma is float32"), Error);
  // One value per channel has no variance.
  CHECK_THROWS_WITH_AS(raw::batch_norm_train(test::randn({1, 3}, 72), Tensor(), Tensor(), Tensor(),
                                             Tensor(), 0.1, 1e-5),
                       doctest::Contains("more than 1 value per channel"), Error);
  CHECK_THROWS_WITH_AS(raw::batch_norm_train(zeros({4, 3}, DType::Int64), Tensor(), Tensor(),
                                             Tensor(), Tensor(), 0.1, 1e-5),
                       doctest::Contains("batch_norm_train: input must be floating point"), Error);
  CHECK_THROWS_WITH_AS(raw::batch_norm_eval(x, Tensor(), Tensor(), Tensor(), c3, 1e-5),
                       doctest::Contains("batch_norm_eval: running_mean is required"), Error);
  CHECK_THROWS_WITH_AS(raw::batch_norm_backward(test::randn({4, 3}, 73), x, Tensor(), c3, c3),
                       doctest::Contains("batch_norm_backward: grad_out has shape [4, 3]"), Error);
}
