// A classification network: an encoder and a classifier on its features.
#pragma once

#include <memory>

#include "nn/encoder.h"
#include "nn/linear.h"

namespace bcl::nn {

// The classifier on top of an encoder.
struct ClassifierOptions {
  int64_t num_classes = 10;
  bool normed = false;       // NormedLinear (cosine, no bias) instead of Linear
  double cosine_scale = 30;  // NormedLinear's s
};

// Linear(feature_dim, num_classes), initialised as the encoder's reference does, or
// NormedLinear(feature_dim, num_classes, s). Both have weight [num_classes, feature_dim].
std::shared_ptr<Linear> make_classifier(const Encoder& encoder, const ClassifierOptions& options,
                                        Generator& gen);

// Children "encoder" and "fc", so tensors are named encoder.conv1.weight, ..., fc.weight, fc.bias.
class Classifier : public Module {
 public:
  Classifier(std::shared_ptr<Encoder> encoder, const ClassifierOptions& options, Generator& gen);
  std::string type_name() const override { return "Classifier"; }
  // Images [N, 3, H, W] -> logits [N, num_classes].
  Tensor forward(const Tensor& x) override { return fc->forward(encoder->forward(x)); }
  // The pre-logit features [N, feature_dim].
  Tensor features(const Tensor& x) { return encoder->forward(x); }

  std::shared_ptr<Encoder> encoder;
  std::shared_ptr<Linear> fc;
};

}  // namespace bcl::nn
