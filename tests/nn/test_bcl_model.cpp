// The BCL model: checkpoint names, output shapes, unit projections and prototypes.
#include <set>

#include "autograd/ops.h"
#include "nn/bcl_model.h"
#include "nn/resnet_cifar.h"
#include "tests/test_util.h"

using namespace bcl;
using namespace bcl::nn;

namespace {

std::set<std::string> expected_resnet32_bcl_names() {
  std::set<std::string> names;
  const std::vector<std::string> bn = {"weight", "bias", "running_mean", "running_var",
                                       "num_batches_tracked"};
  auto add_bn = [&](const std::string& prefix) {
    for (const auto& b : bn) names.insert(prefix + "." + b);
  };
  names.insert("encoder.conv1.weight");
  add_bn("encoder.bn1");
  for (int layer = 1; layer <= 3; ++layer) {
    for (int block = 0; block < 5; ++block) {
      const std::string p = "encoder.layer" + std::to_string(layer) + "." + std::to_string(block);
      names.insert(p + ".conv1.weight");
      names.insert(p + ".conv2.weight");
      add_bn(p + ".bn1");
      add_bn(p + ".bn2");
    }
  }
  names.insert("fc.weight");
  names.insert("fc.bias");
  for (const std::string head : {"head", "head_fc"}) {
    for (const std::string linear : {".0", ".3"}) {
      names.insert(head + linear + ".weight");
      names.insert(head + linear + ".bias");
    }
    add_bn(head + ".1");
  }
  return names;
}

Tensor row_norms(const Tensor& x) {
  return raw::sqrt(raw::sum(raw::mul(x, x), {1}));
}

}  // namespace

TEST_CASE("nn/bcl_model_resnet32_names") {
  Generator gen(1);
  BCLModel model(resnet32(gen), BCLModelOptions{}, gen);
  std::set<std::string> names;
  for (const auto& entry : model.state_dict()) names.insert(entry.first);
  CHECK(names == expected_resnet32_bcl_names());
  CHECK(model.state_dict().at("head.0.weight").shape() == Shape{512, 64});
  CHECK(model.state_dict().at("head_fc.3.weight").shape() == Shape{128, 512});

  BCLModelOptions normed;
  normed.classifier.normed = true;
  BCLModel cosine(resnet32(gen), normed, gen);
  CHECK(cosine.state_dict().count("fc.weight") == 1);
  CHECK(cosine.state_dict().count("fc.bias") == 0);
}

TEST_CASE("nn/bcl_model_outputs") {
  Generator gen(2);
  BCLModelOptions options;
  options.classifier.num_classes = 7;
  options.classifier.normed = true;
  options.head_hidden = 32;
  options.head_out = 16;
  BCLModel model(resnet32(gen), options, gen);
  Tensor x = test::randn({4, 3, 8, 8}, 3, DType::Float32);
  BCLOutput out = model.forward_all(x);
  CHECK(out.features.shape() == Shape{4, 64});
  CHECK(out.logits.shape() == Shape{4, 7});
  CHECK(out.projections.shape() == Shape{4, 16});
  CHECK(out.prototypes.shape() == Shape{7, 16});
  CHECK_ALLCLOSE(row_norms(out.projections), ones({4}), 1e-5, 0);
  CHECK_ALLCLOSE(row_norms(out.prototypes), ones({7}), 1e-5, 0);
  // Cosine logits are bounded by the scale.
  CHECK(raw::max_all(raw::unary(raw::UnaryOp::Abs, out.logits)).item() <= 30 + 1e-4);

  // The prototypes depend on the classifier's weight (through head_fc), not on the images.
  backward(sum(out.prototypes *
               from_vector({1, -2, 3, 0, 1, 1, 2, -1, 0.5, 1, 0, 0, 1, 2, 3, 1}, {1, 16})));
  CHECK(model.fc->weight.grad().defined());
  CHECK(model.head_fc->at<Linear>(0).weight.grad().defined());
  CHECK_FALSE(model.state_dict().at("encoder.conv1.weight").grad().defined());
  CHECK_FALSE(model.head->at<Linear>(0).weight.grad().defined());

  // Together, the three branches train every parameter.
  model.zero_grad();
  out = model.forward_all(x);
  backward(sum(out.prototypes) + sum(out.projections) + sum(out.logits));
  for (const auto& [name, p] : model.named_parameters()) {
    INFO(name);
    CHECK(p.grad().defined());
  }

  // forward() gives the same logits without the heads (in eval mode, with the same statistics).
  model.eval();
  Tensor logits = model.forward(x);
  CHECK_ALLCLOSE(logits, model.forward_all(x).logits, 0, 0);
  CHECK_ALLCLOSE(model.features(x), model.forward_all(x).features, 0, 0);
}
