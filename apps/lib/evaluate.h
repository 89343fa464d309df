// Running a classifier over a dataset: predictions for every sample, in dataset order.
#pragma once

#include <memory>
#include <vector>

#include "data/augment.h"
#include "data/dataset.h"
#include "nn/module.h"

namespace bcl::app {

struct Predictions {
  std::vector<int64_t> predicted, labels;
};

// Puts the model in eval mode (BatchNorm uses its running statistics) and argmaxes its logits,
// without recording gradients. The model's mode is restored afterwards.
Predictions predict(nn::Module& model, std::shared_ptr<const data::Dataset> dataset,
                    const data::MultiViewTransform& transform, int64_t batch_size, int workers);

}  // namespace bcl::app
