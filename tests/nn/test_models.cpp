// The ResNets: parameter counts against the references, names, forward and backward shapes, and
// seeded reproducibility.
#include "autograd/ops.h"
#include "nn/classifier.h"
#include "nn/resnet.h"
#include "nn/resnet_cifar.h"
#include "tests/test_util.h"

using namespace bcl;
using namespace bcl::nn;

namespace {

// One training step's worth: forward, backward of the summed logits; every parameter gets a
// gradient of its own shape.
void check_forward_backward(Module& model, const Tensor& x, const Shape& expected) {
  Tensor out = model.forward(x);
  CHECK(out.shape() == expected);
  backward(sum(out));
  for (const auto& [name, p] : model.named_parameters()) {
    INFO(name);
    REQUIRE(p.grad().defined());
    CHECK(p.grad().shape() == p.shape());
  }
}

}  // namespace

TEST_CASE("nn/resnet32_parameters_and_names") {
  Generator gen(1);
  Classifier model(resnet32(gen), ClassifierOptions{}, gen);
  CHECK(model.num_parameters() == 464154);  // LDAM-DRW's resnet32 with 10 classes
  const auto state = model.state_dict();
  // conv1 + bn1 (5 tensors) + 15 blocks of 2 convs and 2 bns + fc weight and bias.
  CHECK(state.size() == 1 + 5 + 15 * 12 + 2);
  for (const char* name : {"encoder.conv1.weight", "encoder.bn1.num_batches_tracked",
                           "encoder.layer1.0.conv1.weight", "encoder.layer2.0.bn2.running_var",
                           "encoder.layer3.4.conv2.weight", "fc.weight", "fc.bias"}) {
    CHECK_MESSAGE(state.count(name) == 1, name);
  }
  CHECK(state.at("encoder.layer2.0.conv1.weight").shape() == Shape{32, 16, 3, 3});
  CHECK(state.at("fc.weight").shape() == Shape{10, 64});
}

TEST_CASE("nn/resnet32_forward_backward") {
  Generator gen(2);
  auto encoder = resnet32(gen);
  CHECK(encoder->feature_dim() == 64);
  Classifier model(encoder, ClassifierOptions{}, gen);
  Tensor x = test::randn({2, 3, 16, 16}, 3, DType::Float32);
  CHECK(model.features(x).shape() == Shape{2, 64});
  check_forward_backward(model, x, {2, 10});
  CHECK_THROWS_WITH_AS(model.forward(zeros({2, 1, 16, 16})),
                       doctest::Contains("expected images [N, 3, H, W]"), Error);
}

TEST_CASE("nn/models_are_reproducible_from_a_seed") {
  Generator a(7), b(7), c(8);
  auto ma = resnet32(a), mb = resnet32(b), mc = resnet32(c);
  const auto sa = ma->state_dict(), sb = mb->state_dict(), sc = mc->state_dict();
  CHECK(sa.at("layer3.4.conv2.weight").to_vector() == sb.at("layer3.4.conv2.weight").to_vector());
  CHECK(sa.at("layer3.4.conv2.weight").to_vector() != sc.at("layer3.4.conv2.weight").to_vector());
  // kaiming_normal_ (fan_in = 64 * 9): the sample std is close to sqrt(2 / 576).
  const Tensor w = sa.at("layer3.4.conv2.weight");
  const double std = std::sqrt(raw::mean(raw::mul(w, w)).item());
  CHECK(std == doctest::Approx(std::sqrt(2.0 / 576)).epsilon(0.03));
}

TEST_CASE("nn/resnet50_parameters_and_forward_backward") {
  Generator gen(4);
  Classifier model(resnet50(gen), ClassifierOptions{1000}, gen);
  CHECK(model.num_parameters() == 25557032);  // torchvision's resnet50
  const auto state = model.state_dict();
  CHECK(state.at("encoder.layer1.0.downsample.0.weight").shape() == Shape{256, 64, 1, 1});
  CHECK(state.count("encoder.layer4.0.downsample.1.running_mean") == 1);
  CHECK(state.count("encoder.layer1.1.downsample.0.weight") == 0);
  CHECK(state.at("encoder.layer2.0.conv2.weight").shape() == Shape{128, 128, 3, 3});
  // 32x32 is the smallest comfortable input: 1x1 after layer4.
  check_forward_backward(model, test::randn({2, 3, 32, 32}, 5, DType::Float32), {2, 1000});
}

TEST_CASE("nn/resnext50_parameters_and_forward_backward") {
  Generator gen(6);
  Classifier model(resnext50_32x4d(gen), ClassifierOptions{1000}, gen);
  CHECK(model.num_parameters() == 25028904);  // torchvision's resnext50_32x4d
  CHECK(model.state_dict().at("encoder.layer1.0.conv2.weight").shape() == Shape{128, 4, 3, 3});
  CHECK(model.encoder->feature_dim() == 2048);
  check_forward_backward(model, test::randn({2, 3, 32, 32}, 7, DType::Float32), {2, 1000});
}

TEST_CASE("nn/make_encoder_by_name") {
  Generator gen(8);
  CHECK(make_encoder("resnet32", gen)->feature_dim() == 64);
  CHECK_THROWS_WITH_AS(make_encoder("resnet18", gen),
                       doctest::Contains("unknown architecture \"resnet18\" (known: resnet32"),
                       Error);
}
