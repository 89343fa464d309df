// Golden test of a whole network: LDAM's ResNet-32 with a Linear classifier, in PyTorch and here,
// with the same weights and BatchNorm statistics (tests/golden/make_golden_resnet32.py).
//
// The file's state_dict loads strictly into nn::Classifier, which checks every name, shape and
// dtype, and the logits for a fixed batch must match to 1e-4 relative (plus 1e-4 absolute, for
// logits near zero; they range up to ~70). Both libraries compute in float32 but sum the
// convolutions' dot products (up to 576 terms) in different orders, and 31 layers compound those
// last-place differences: the measured gap is ~5e-6 relative. A wrong name, layout, shortcut or
// statistic would be off by far more.

#include <algorithm>

#include "autograd/node.h"
#include "autograd/ops.h"
#include "nn/classifier.h"
#include "nn/optim.h"
#include "nn/resnet_cifar.h"
#include "tensor/ops.h"
#include "tensor/safetensors.h"
#include "tests/golden/golden_util.h"
#include "tests/test_util.h"

using namespace bcl;
using bcl::test::load_golden;

namespace {

constexpr double kAtol = 1e-4;
constexpr double kRtol = 1e-4;

// resnet32_golden holds the network's state_dict beside a fixed batch and its logits: the state
// alone, for load_state_dict's strict check.
std::map<std::string, Tensor> resnet32_state(std::map<std::string, Tensor> tensors) {
  for (const char* key : {"input", "logits_eval", "logits_train"}) tensors.erase(key);
  return tensors;
}

}  // namespace

TEST_CASE("golden/resnet32_eval_logits") {
  const SafetensorsFile golden = load_golden("resnet32_golden");
  const Tensor& input = golden.tensors.at("input");
  const Tensor& logits_eval = golden.tensors.at("logits_eval");
  const Tensor& logits_train = golden.tensors.at("logits_train");

  Generator gen(0);
  nn::Classifier model(nn::resnet32(gen), nn::ClassifierOptions{}, gen);
  model.load_state_dict(resnet32_state(golden.tensors));  // strict
  NoGradGuard no_grad;

  model.eval();
  CHECK_ALLCLOSE(model.forward(input), logits_eval, kAtol, kRtol);
  // Training mode normalises with the batch's own statistics instead.
  model.train();
  CHECK_ALLCLOSE(model.forward(input), logits_train, kAtol, kRtol);
}

// Three training steps from the same state as PyTorch's (make_golden_resnet32.py): the bs
// objective, cross-entropy on logits + log prior, in training mode, then SGD with momentum 0.9
// and weight decay 5e-4 at lr 0.01. Each step's loss and, after the last, every parameter and
// running statistic must match PyTorch's: the whole backward pass and the optimiser against
// PyTorch's, not op by op.
//
// Tolerance: float32 rounding differences grow from step to step, because each step's gradient
// is taken at slightly different weights. PyTorch's own float32 run of these steps differs from
// its float64 run by up to 4e-4 of a weight's update after one step and 1.7e-2 after three, and
// how far two correct float32 runs drift apart depends on which products the compiler fuses into
// FMAs. Each tensor is therefore judged by its update over the three steps: max |ours - PyTorch's|
// at most 0.1 of max |PyTorch's - initial| (or 1e-6 for a tensor that hardly moved). Measured:
// 1.8e-2 in the -O3 build, 6.2e-2 in the -O1 sanitizer build (a BN weight of layer1). A wrong
// gradient or a lost momentum term is off by a large part of the update (up to 2e-2 absolute for
// a conv weight here).
// Weight decay moves a weight by only 5e-6 of itself per step at this lr, below the tolerance:
// tests/nn/test_optim.cpp checks it.
TEST_CASE("golden/resnet32_train_steps") {
  const SafetensorsFile golden = load_golden("resnet32_train_golden");
  Generator gen(0);
  nn::Classifier model(nn::resnet32(gen), nn::ClassifierOptions{}, gen);
  model.load_state_dict(resnet32_state(load_golden("resnet32_golden").tensors));  // strict
  model.train();
  nn::SGDOptions so;
  so.lr = 0.01;
  so.momentum = 0.9;
  so.weight_decay = 5e-4;
  nn::SGD optimizer(model.named_parameters(), so);
  std::map<std::string, Tensor> before;
  for (const auto& [key, t] : model.state_dict()) before[key] = raw::clone(t);

  const Tensor& inputs = golden.tensors.at("inputs");  // [steps, B, 3, 32, 32]
  const Tensor& labels = golden.tensors.at("labels");  // [steps, B]
  const Tensor& offset = golden.tensors.at("offset");  // [C]
  const std::vector<double> losses = golden.tensors.at("losses").to_vector();
  const int64_t steps = inputs.size(0);
  REQUIRE(static_cast<int64_t>(losses.size()) == steps);
  for (int64_t k = 0; k < steps; ++k) {
    CAPTURE(k);
    const Tensor x = raw::contiguous(raw::squeeze(raw::narrow(inputs, 0, k, 1), 0));
    const Tensor y = raw::contiguous(raw::squeeze(raw::narrow(labels, 0, k, 1), 0));
    Tensor loss = bcl::cross_entropy(model.forward(x), y, offset);
    optimizer.zero_grad();
    backward(loss);
    optimizer.step();
    CHECK(loss.item() == doctest::Approx(losses[static_cast<size_t>(k)]).epsilon(1e-4));
  }
  const std::map<std::string, Tensor> after = model.state_dict();
  int64_t compared = 0;
  for (const auto& [name, want] : golden.tensors) {
    if (name.rfind("after.", 0) != 0) continue;
    const std::string key = name.substr(6);
    if (key.find("num_batches_tracked") != std::string::npos) continue;
    CAPTURE(key);
    REQUIRE(after.count(key) == 1);
    const auto max_abs_diff = [](const Tensor& a, const Tensor& b) {
      return raw::max_all(raw::unary(raw::UnaryOp::Abs, raw::sub(a, b))).item();
    };
    const double update = max_abs_diff(want, raw::to_dtype(before.at(key), want.dtype()));
    const double error = max_abs_diff(raw::to_dtype(after.at(key), want.dtype()), want);
    INFO("error ", error, " against an update of ", update);
    CHECK(error <= std::max(0.1 * update, 1e-6));
    ++compared;
  }
  CHECK(compared == static_cast<int64_t>(after.size()) - 31);  // all but 31 BN step counters
}
