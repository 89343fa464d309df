// Checkpoints: a round trip restores every tensor bit for bit, with the training state.
#include <unistd.h>

#include <filesystem>

#include "autograd/ops.h"
#include "nn/checkpoint.h"
#include "nn/classifier.h"
#include "nn/optim.h"
#include "nn/resnet_cifar.h"
#include "tests/test_util.h"

using namespace bcl;
using namespace bcl::nn;

TEST_CASE("nn/checkpoint_round_trip") {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("bcl_test_checkpoint_" + std::to_string(getpid()) + ".safetensors"))
                               .string();
  Generator gen(1);
  Classifier model(resnet32(gen), ClassifierOptions{}, gen);
  // One training step, so running statistics, num_batches_tracked and momentum are non-trivial.
  SGD sgd(model.named_parameters(), {});
  backward(sum(model.forward(test::randn({2, 3, 8, 8}, 2, DType::Float32))));
  sgd.step();

  CheckpointExtras extras;
  extras.sections["optimizer"] = sgd.state_dict();
  extras.metadata = {{"epoch", "3"}, {"rng", "1234:56"}};
  save_checkpoint(path, model, extras);

  Generator other(99);
  Classifier restored(resnet32(other), ClassifierOptions{}, other);
  CheckpointExtras loaded = load_checkpoint(path, restored);
  for (const auto& [name, t] : model.state_dict()) {
    INFO(name);
    const Tensor r = restored.state_dict().at(name);
    CHECK(r.dtype() == t.dtype());
    CHECK(r.to_vector() == t.to_vector());  // exact: float32 and int64 convert to double exactly
  }
  CHECK(restored.state_dict().at("encoder.bn1.num_batches_tracked").item() == 1);
  CHECK(loaded.metadata == extras.metadata);
  REQUIRE(loaded.sections.count("optimizer") == 1);
  CHECK(loaded.sections.at("optimizer").size() == model.named_parameters().size());
  SGD resumed(restored.named_parameters(), {});
  resumed.load_state_dict(loaded.sections.at("optimizer"));
  CHECK(resumed.state_dict().at("momentum.fc.weight").to_vector() ==
        sgd.state_dict().at("momentum.fc.weight").to_vector());

  // A model of another shape is refused, naming the file and the tensor.
  ClassifierOptions hundred;
  hundred.num_classes = 100;
  Classifier wrong(resnet32(other), hundred, other);
  CHECK_THROWS_WITH_AS(load_checkpoint(path, wrong),
                       doctest::Contains("fc.weight: shape [10, 64] in the state, [100, 64]"),
                       Error);
  CHECK_THROWS_WITH_AS(load_checkpoint(path, wrong), doctest::Contains(path.c_str()), Error);
  std::filesystem::remove(path);
  CHECK_THROWS_AS(save_checkpoint(path, model, CheckpointExtras{{{"a/b", {}}}, {}}), Error);
}
