// Golden test of a whole network: LDAM's ResNet-32 with a Linear classifier, in PyTorch and here,
// with the same weights and BatchNorm statistics (tests/golden/make_golden_resnet32.py).
//
// The file's state_dict loads strictly into nn::Classifier, which checks every name, shape and
// dtype, and the logits for a fixed batch must match to 1e-4 relative (plus 1e-4 absolute, for
// logits near zero; they range up to ~70). Both libraries compute in float32 but sum the
// convolutions' dot products (up to 576 terms) in different orders, and 31 layers compound those
// last-place differences: the measured gap is ~5e-6 relative. A wrong name, layout, shortcut or
// statistic would be off by far more.
#include <cstdlib>
#include <filesystem>

#include "autograd/node.h"
#include "nn/classifier.h"
#include "nn/resnet_cifar.h"
#include "tensor/safetensors.h"
#include "tests/test_util.h"

using namespace bcl;

namespace {

constexpr double kAtol = 1e-4;
constexpr double kRtol = 1e-4;

std::string golden_path(const std::string& name) {
  const char* root = std::getenv("BCL_REPO_ROOT");
  return (root != nullptr && *root != '\0' ? std::string(root) + "/" : std::string()) +
         "tests/golden/data/" + name + ".safetensors";
}

}  // namespace

TEST_CASE("golden/resnet32_eval_logits") {
  const std::string path = golden_path("resnet32_golden");
  REQUIRE_MESSAGE(std::filesystem::exists(path), "golden file ", path,
                  " not found: run the tests from the repository root or set BCL_REPO_ROOT");
  SafetensorsFile golden = load_safetensors(path);
  std::map<std::string, Tensor> state = golden.tensors;
  const Tensor input = state.at("input");
  const Tensor logits_eval = state.at("logits_eval");
  const Tensor logits_train = state.at("logits_train");
  for (const char* key : {"input", "logits_eval", "logits_train"}) state.erase(key);

  Generator gen(0);
  nn::Classifier model(nn::resnet32(gen), nn::ClassifierOptions{}, gen);
  model.load_state_dict(state);  // strict
  NoGradGuard no_grad;

  model.eval();
  CHECK_ALLCLOSE(model.forward(input), logits_eval, kAtol, kRtol);
  // Training mode normalises with the batch's own statistics instead.
  model.train();
  CHECK_ALLCLOSE(model.forward(input), logits_train, kAtol, kRtol);
}
