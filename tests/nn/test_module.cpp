// Module: registration and dotted names, modes, state_dict and its loading errors.
#include <memory>

#include "autograd/ops.h"
#include "nn/layers.h"
#include "tensor/device.h"
#include "tests/test_util.h"

using namespace bcl;
using namespace bcl::nn;

namespace {

// conv (no bias) -> bn, and a Sequential "head" of Linear, ReLU, Linear.
class Toy : public Module {
 public:
  explicit Toy(Generator& gen) {
    conv = register_module("conv", std::make_shared<Conv2d>(3, 4, 3, gen, 1, 1, false));
    bn = register_module("bn", std::make_shared<BatchNorm2d>(4));
    head =
        register_module("head", std::make_shared<Sequential>(std::vector<std::shared_ptr<Module>>{
                                    std::make_shared<Linear>(4, 5, gen), std::make_shared<ReLU>(),
                                    std::make_shared<Linear>(5, 2, gen)}));
  }
  std::string type_name() const override { return "Toy"; }
  Tensor forward(const Tensor& x) override {
    return head->forward(global_avg_pool2d(bn->forward(conv->forward(x))));
  }
  std::shared_ptr<Conv2d> conv;
  std::shared_ptr<BatchNorm2d> bn;
  std::shared_ptr<Sequential> head;
};

std::vector<std::string> names_of(const NamedTensors& named) {
  std::vector<std::string> out;
  for (const auto& entry : named) out.push_back(entry.first);
  return out;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("nn/module_names_follow_the_tree") {
  Generator gen(1);
  Toy toy(gen);
  CHECK(names_of(toy.named_parameters()) ==
        std::vector<std::string>{"conv.weight", "bn.weight", "bn.bias", "head.0.weight",
                                 "head.0.bias", "head.2.weight", "head.2.bias"});
  CHECK(names_of(toy.named_buffers()) ==
        std::vector<std::string>{"bn.running_mean", "bn.running_var", "bn.num_batches_tracked"});
  CHECK(toy.state_dict().size() == 10);
  CHECK(toy.num_parameters() == 4 * 3 * 9 + 4 + 4 + 5 * 4 + 5 + 2 * 5 + 2);
  for (const Tensor& p : toy.parameters()) CHECK(p.requires_grad());
  CHECK_FALSE(toy.bn->running_mean.requires_grad());
  CHECK(toy.state_dict().at("bn.num_batches_tracked").dtype() == DType::Int64);
  // The map holds the modules' own tensors, not copies.
  CHECK(toy.state_dict().at("head.2.bias").same(toy.head->at<Linear>(2).bias));
  CHECK(toy.named_children().size() == 3);
  CHECK(toy.head->at<Linear>(0).out_features() == 5);
  CHECK_THROWS_AS(toy.head->at<Linear>(1), Error);  // a ReLU
}

TEST_CASE("nn/module_train_eval_propagates") {
  Generator gen(2);
  Toy toy(gen);
  CHECK(toy.is_training());
  toy.eval();
  CHECK_FALSE(toy.bn->is_training());
  CHECK_FALSE(toy.head->at<Linear>(2).is_training());
  toy.train();
  CHECK(toy.head->at<ReLU>(1).is_training());
}

TEST_CASE("nn/module_zero_grad_and_forward_backward") {
  Generator gen(3);
  Toy toy(gen);
  Tensor x = test::randn({2, 3, 5, 5}, 4, DType::Float32);
  backward(sum(toy.forward(x)));
  for (const auto& [name, p] : toy.named_parameters()) {
    INFO(name);
    REQUIRE(p.grad().defined());
    CHECK(p.grad().shape() == p.shape());
  }
  toy.zero_grad();
  for (const Tensor& p : toy.parameters()) CHECK_FALSE(p.grad().defined());
  Conv2d conv(3, 4, 3, gen);
  CHECK_THROWS_WITH_AS(conv.forward(test::randn({2, 4, 5, 5}, 5, DType::Float32)),
                       doctest::Contains("expected input [N, 3, H, W]"), Error);
}

TEST_CASE("nn/module_state_dict_round_trip") {
  Generator gen_a(10), gen_b(11);
  Toy a(gen_a), b(gen_b);
  raw::fill_(a.bn->running_mean, 0.25);
  raw::fill_(a.bn->num_batches_tracked, 7);
  CHECK(raw::max_all(raw::binary(raw::BinaryOp::Ne, a.conv->weight, b.conv->weight)).item() == 1);

  LoadResult r = b.load_state_dict(a.state_dict());
  CHECK(r.missing.empty());
  CHECK(r.unexpected.empty());
  for (const auto& [name, t] : a.state_dict()) {
    INFO(name);
    const Tensor loaded = b.state_dict().at(name);
    CHECK(loaded.to_vector() == t.to_vector());
    CHECK_FALSE(loaded.same(t));  // copied into b's own tensors
  }
  CHECK(b.bn->num_batches_tracked.item() == 7);
  CHECK(b.conv->weight.requires_grad());
}

TEST_CASE("nn/module_load_state_dict_errors") {
  Generator gen(20);
  Toy toy(gen);
  const auto original = toy.conv->weight.to_vector();

  auto state = toy.state_dict();
  for (auto& [name, t] : state) t = raw::clone(t);
  raw::fill_(state.at("conv.weight"), 0.5);
  state.erase("bn.running_var");
  state.emplace("bn.extra", zeros({4}));
  const std::string msg = error_of([&] { toy.load_state_dict(state); });
  CHECK(msg.find("missing keys: bn.running_var") != std::string::npos);
  CHECK(msg.find("unexpected keys: bn.extra") != std::string::npos);
  // Nothing was written.
  CHECK(toy.conv->weight.to_vector() == original);

  // Not strict: the loadable entries load, the rest are reported.
  LoadResult r = toy.load_state_dict(state, /*strict=*/false);
  CHECK(r.missing == std::vector<std::string>{"bn.running_var"});
  CHECK(r.unexpected == std::vector<std::string>{"bn.extra"});
  CHECK(toy.conv->weight.to_vector() == std::vector<double>(original.size(), 0.5));

  auto bad_shape = toy.state_dict();
  bad_shape["head.0.weight"] = zeros({5, 3});
  CHECK_THROWS_WITH_AS(toy.load_state_dict(bad_shape, false),
                       doctest::Contains("head.0.weight: shape [5, 3] in the state, [5, 4]"),
                       Error);
  auto bad_dtype = toy.state_dict();
  bad_dtype["bn.num_batches_tracked"] = zeros({}, DType::Float32);
  CHECK_THROWS_WITH_AS(toy.load_state_dict(bad_dtype),
                       doctest::Contains("bn.num_batches_tracked: dtype float32 in the state"),
                       Error);
}

TEST_CASE("nn/module_to_device_keeps_parameters_trainable") {
  Generator gen(30);
  Linear fc(3, 2, gen);
  const Tensor before = fc.weight;
  fc.to(Device::CPU);  // already there: the same tensors
  CHECK(fc.weight.same(before));
  if (!cuda_available()) return;
  const auto values = fc.weight.to_vector();
  fc.to(Device::CUDA);
  CHECK(fc.weight.device() == Device::CUDA);
  CHECK(fc.weight.requires_grad());
  fc.to(Device::CPU);
  CHECK(fc.weight.to_vector() == values);
}
