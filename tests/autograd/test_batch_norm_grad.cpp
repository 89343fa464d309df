// Gradients of batch normalisation, training and eval mode, by finite differences.
#include "autograd/ops.h"
#include "tests/test_util.h"

using namespace bcl;

TEST_CASE("gradcheck/batch_norm") {
  // Training mode: the batch statistics depend on x, so every output depends on every x of its
  // channel. BatchNorm2d's [N, C, H, W] and BatchNorm1d's [N, C].
  for (const Shape& shape : {Shape{3, 2, 2, 3}, Shape{5, 3}}) {
    CAPTURE(shape_str(shape));
    const int64_t c = shape[1];
    Tensor x = test::param(test::randn(shape, 1));
    Tensor gamma = test::param(test::randn({c}, 2));
    Tensor beta = test::param(test::randn({c}, 3));
    Tensor running_mean = zeros({c}, DType::Float64), running_var = ones({c}, DType::Float64);
    auto f = [&](const std::vector<Tensor>& in) {
      return batch_norm(in[0], in[1], in[2], running_mean, running_var, /*training=*/true);
    };
    CHECK_GRADCHECK(f, (std::vector<Tensor>{x, gamma, beta}));
    // Without the affine parameters.
    auto plain = [](const std::vector<Tensor>& in) {
      return batch_norm(in[0], Tensor(), Tensor(), Tensor(), Tensor(), /*training=*/true);
    };
    CHECK_GRADCHECK(plain, std::vector<Tensor>{x});
  }
}

TEST_CASE("gradcheck/batch_norm_eval") {
  Tensor x = test::param(test::randn({3, 2, 2, 2}, 4));
  Tensor gamma = test::param(test::randn({2}, 5));
  Tensor beta = test::param(test::randn({2}, 6));
  Tensor running_mean = test::randn({2}, 7);
  Tensor running_var = test::uniform({2}, 0.5, 2.0, 8);
  auto f = [&](const std::vector<Tensor>& in) {
    return batch_norm(in[0], in[1], in[2], running_mean, running_var, /*training=*/false);
  };
  CHECK_GRADCHECK(f, (std::vector<Tensor>{x, gamma, beta}));
  auto no_affine = [&](const std::vector<Tensor>& in) {
    return batch_norm(in[0], Tensor(), Tensor(), running_mean, running_var, /*training=*/false);
  };
  CHECK_GRADCHECK(no_affine, std::vector<Tensor>{x});
}

TEST_CASE("batch_norm/autograd_modes_and_running_stats") {
  Tensor x = test::param(test::randn({4, 2}, 9));
  Tensor running_mean = zeros({2}, DType::Float64), running_var = ones({2}, DType::Float64);
  // Eval reads the running statistics without changing them.
  batch_norm(x, Tensor(), Tensor(), running_mean, running_var, /*training=*/false);
  CHECK(running_mean.to_vector() == std::vector<double>{0, 0});
  // Training moves them by momentum towards the batch statistics.
  batch_norm(x, Tensor(), Tensor(), running_mean, running_var, /*training=*/true, 0.5);
  Tensor batch_mean = raw::mean(x, {0});
  CHECK_ALLCLOSE(running_mean, raw::mul_scalar(batch_mean, 0.5), 1e-15, 1e-15);
  // The output of training mode matches the raw op, and backward reaches x.
  Tensor y = batch_norm(x, Tensor(), Tensor(), Tensor(), Tensor(), /*training=*/true);
  CHECK(
      y.to_vector() ==
      raw::batch_norm_train(x, Tensor(), Tensor(), Tensor(), Tensor(), 0.1, 1e-5).out.to_vector());
  backward(y, test::randn({4, 2}, 10));
  CHECK(x.grad().shape() == Shape{4, 2});
}
