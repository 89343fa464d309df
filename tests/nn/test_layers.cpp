// The layers: values against hand computations, initialisation, BatchNorm's state.
#include <cmath>

#include "autograd/ops.h"
#include "nn/layers.h"
#include "tests/test_util.h"

using namespace bcl;
using namespace bcl::nn;

TEST_CASE("nn/linear_values_and_default_init") {
  Generator gen(1);
  Linear fc(2, 3, gen);
  // PyTorch's default: U(-1/sqrt(in), 1/sqrt(in)) for weight and bias.
  const double bound = 1 / std::sqrt(2.0);
  CHECK(raw::max_all(raw::unary(raw::UnaryOp::Abs, fc.weight)).item() <= bound);
  CHECK(raw::max_all(raw::unary(raw::UnaryOp::Abs, fc.bias)).item() <= bound);
  raw::copy_(fc.weight, from_vector({1, 2, 3, 4, 5, 6}, {3, 2}));
  raw::copy_(fc.bias, from_vector({0.5, -1, 0}, {3}));
  Tensor y = fc.forward(from_vector({1, -1, 2, 0}, {2, 2}));
  CHECK_ALLCLOSE(y, from_vector({-0.5, -2, -1, 2.5, 5, 10}, {2, 3}), 0, 0);
  CHECK_THROWS_WITH_AS(fc.forward(zeros({2, 3})), doctest::Contains("expected input [N, 2]"),
                       Error);

  Linear no_bias(4, 2, gen, /*bias=*/false);
  CHECK_FALSE(no_bias.bias.defined());
  CHECK(no_bias.state_dict().size() == 1);
}

TEST_CASE("nn/normed_linear_is_a_scaled_cosine") {
  Generator gen(2);
  NormedLinear fc(2, 3, gen, /*scale=*/2.0);
  CHECK(fc.state_dict().size() == 1);  // weight only
  // The rows start as unit vectors.
  CHECK_ALLCLOSE(raw::sqrt(raw::sum(raw::mul(fc.weight, fc.weight), {1})), ones({3}), 1e-6, 0);

  raw::copy_(fc.weight, from_vector({1, 0, 0, 2, 1, 1}, {3, 2}));
  Tensor x = test::param(from_vector({3, 4, 1, 0}, {2, 2}));
  Tensor y = fc.forward(x);
  // cos([3,4], [1,0]) = 0.6, cos([3,4], [0,1]) = 0.8, cos([3,4], [1,1]) = 7/(5 sqrt 2); times 2.
  const double r = 1 / std::sqrt(2.0);
  CHECK_ALLCLOSE(y, from_vector({1.2, 1.6, 2 * 7 * r / 5, 2, 0, 2 * r}, {2, 3}), 1e-6, 1e-6);
  backward(sum(y));
  CHECK(fc.weight.grad().defined());
  // A cosine ignores the feature's length: the gradient along x is zero.
  const auto g = x.grad().to_vector();
  CHECK(std::fabs(3 * g[0] + 4 * g[1]) < 1e-5);
}

TEST_CASE("nn/conv2d_shapes_and_init") {
  Generator gen(3);
  Conv2d conv(4, 6, 3, gen, /*stride=*/2, /*padding=*/1, /*bias=*/true, /*groups=*/2);
  CHECK(conv.weight.shape() == Shape{6, 2, 3, 3});
  const double bound = 1 / std::sqrt(2.0 * 9);  // fan_in = in / groups * kernel area
  CHECK(raw::max_all(raw::unary(raw::UnaryOp::Abs, conv.weight)).item() <= bound);
  CHECK(conv.forward(zeros({1, 4, 7, 6})).shape() == Shape{1, 6, 4, 3});
  // With a zero input, the output is the bias.
  CHECK_ALLCLOSE(raw::mean(conv.forward(zeros({1, 4, 5, 5})), {0, 2, 3}), conv.bias, 1e-7, 0);
  CHECK_THROWS_AS(Conv2d(4, 6, 3, gen, 1, 0, true, /*groups=*/4), Error);  // 6 % 4 != 0
}

TEST_CASE("nn/conv2d_in_bfloat16_tracks_full_precision") {
  // Mixed precision (nn/layers.h): bf16 operands, float32 sums, float32 in and out and float32
  // gradients. Each output and gradient element is a sum of products of values rounded by up to
  // 2^-8 relative, then rounded once more: against the full-precision layer on the same weights the
  // difference is a few 2^-8 of the typical magnitude (the tolerance is 2^-5 of each tensor's
  // largest element), and never zero: the layer must really have computed in bf16.
  Generator gen(5);
  Conv2d conv(8, 6, 3, gen, /*stride=*/1, /*padding=*/1, /*bias=*/true);
  const Tensor x0 = test::randn({2, 8, 6, 6}, 21, DType::Float32);
  const Tensor g = test::randn({2, 6, 6, 6}, 22, DType::Float32);
  const auto run = [&](Precision precision) {
    conv.precision = precision;
    conv.zero_grad();
    Tensor x = test::param(raw::clone(x0));
    Tensor y = conv.forward(x);
    backward(y, g);
    return std::vector<Tensor>{y, x.grad(), conv.weight.grad(), conv.bias.grad()};
  };
  const std::vector<Tensor> full = run(Precision::Full), half = run(Precision::BF16);
  for (size_t i = 0; i < full.size(); ++i) {
    CAPTURE(i);
    CHECK(half[i].dtype() == DType::Float32);
    const double scale = raw::max_all(raw::unary(raw::UnaryOp::Abs, full[i])).item();
    const double diff =
        raw::max_all(raw::unary(raw::UnaryOp::Abs, raw::sub(half[i], full[i]))).item();
    CHECK(diff <= scale * 0x1p-5);
    if (i < 3) CHECK(diff > 0);  // the bias gradient sums float32 g in both
  }
  CHECK(set_conv_precision(conv, Precision::Full) == 1);
  CHECK(conv.precision == Precision::Full);
}

TEST_CASE("nn/batch_norm_training_updates_running_stats") {
  BatchNorm1d bn(2);
  CHECK(bn.type_name() == "BatchNorm1d");
  Tensor x = from_vector({1, 10, 2, 20, 3, 30, 6, 40}, {4, 2});
  Tensor y = bn.forward(x);
  CHECK(bn.num_batches_tracked.item() == 1);
  // Batch means 3 and 25; unbiased variances 14/3 and 500/3.
  CHECK_ALLCLOSE(bn.running_mean, from_vector({0.3, 2.5}, {2}), 1e-6, 1e-6);
  CHECK_ALLCLOSE(bn.running_var, from_vector({0.9 + 1.4 / 3, 0.9 + 50.0 / 3}, {2}), 1e-5, 1e-6);
  CHECK_ALLCLOSE(raw::mean(y, {0}), zeros({2}), 1e-6, 0);

  bn.eval();
  Tensor z = bn.forward(from_vector({0.3, 2.5}, {1, 2}));  // one sample is fine in eval
  CHECK_ALLCLOSE(z, zeros({1, 2}), 1e-6, 0);
  CHECK(bn.num_batches_tracked.item() == 1);

  bn.train();
  CHECK_THROWS_WITH_AS(bn.forward(zeros({1, 2})),
                       doctest::Contains("more than one value per channel"), Error);
  BatchNorm2d bn2(3);
  CHECK_THROWS_WITH_AS(bn2.forward(zeros({2, 3})), doctest::Contains("expected input [N, C, H, W]"),
                       Error);
  CHECK_THROWS_AS(bn2.forward(zeros({2, 4, 2, 2})), Error);
}

TEST_CASE("nn/pooling_and_relu_layers") {
  MaxPool2d pool(3, 2, 1);
  Tensor x = test::randn({2, 3, 8, 7}, 4, DType::Float32);
  CHECK(pool.forward(x).shape() == Shape{2, 3, 4, 4});
  GlobalAvgPool2d gap;
  Tensor y = gap.forward(from_vector({1, 2, 3, 6, -1, -1, -1, -1}, {1, 2, 2, 2}));
  CHECK_ALLCLOSE(y, from_vector({3, -1}, {1, 2}), 0, 0);
  ReLU relu_layer;
  CHECK_ALLCLOSE(relu_layer.forward(from_vector({-1, 2}, {2})), from_vector({0, 2}, {2}), 0, 0);
  CHECK_THROWS_AS(MaxPool2d(3, 2, 2), Error);  // padding over half the kernel
}
