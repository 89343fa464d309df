// Running a classifier over a dataset: predictions for every sample, in dataset order.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "data/augment.h"
#include "data/dataset.h"
#include "losses/geometry.h"
#include "nn/bcl_model.h"
#include "nn/module.h"
#include "train/run_files.h"

namespace bcl::train {

// Runs the model in eval mode over the dataset (no gradients), on the model's device, and
// measures its projections (copied back to the CPU).
losses::Geometry measure_geometry(nn::BCLModel& model, std::shared_ptr<const data::Dataset> dataset,
                                  const data::MultiViewTransform& transform, int64_t batch_size,
                                  int workers);

struct Predictions {
  std::vector<int64_t> predicted, labels;
};

// Puts the model in eval mode (BatchNorm uses its running statistics) and argmaxes its logits,
// without recording gradients. The model's mode is restored afterwards. The forward runs on the
// model's device (Module::device()); the logits are copied back to the CPU.
Predictions predict(nn::Module& model, std::shared_ptr<const data::Dataset> dataset,
                    const data::MultiViewTransform& transform, int64_t batch_size, int workers);

// A bcl-train checkpoint ready to run on a dataset's test split: the model with its weights,
// the run's facts (counts, class names, normalisation), the test set, and the evaluation
// transform that normalises as training did.
struct CheckpointOnTestSet {
  RunInfo info;
  std::unique_ptr<nn::BCLModel> model;
  std::shared_ptr<const data::Dataset> test;
  data::MultiViewTransform transform;
};
// The model is loaded on the CPU and then moved to `device`. Throws, naming `program`, the spec and
// the checkpoint, when their class counts differ.
CheckpointOnTestSet load_checkpoint_on_test_set(const std::string& checkpoint,
                                                const std::string& spec, const std::string& program,
                                                Device device = Device::CPU);

}  // namespace bcl::train
