// A classification network: an Encoder (the part below the classifier; forward(images
// [N, 3, H, W]) gives the pre-logit features [N, feature_dim()], the input of the classifier and of
// BCL's projection head, nn/bcl_model.h) and the classifier on its features.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "nn/layers.h"
#include "nn/module.h"
#include "tensor/random.h"

namespace bcl::nn {

// Encoder: the part of a classification network below its classifier.
//
// forward(images [N, 3, H, W]) returns the pre-logit features [N, feature_dim()], the input of the
// classifier (nn/classifier.h) and of BCL's projection head (nn/bcl_model.h).

class Encoder : public Module {
 public:
  virtual int64_t feature_dim() const = 0;
  // Re-initialises a plain Linear classifier placed on top, when the architecture's reference
  // initialises its classifier differently from PyTorch's default (the default does nothing).
  virtual void init_classifier(Linear& /*fc*/, Generator& /*gen*/) const {}
};

// The architectures by name: "resnet32" (CIFAR), "resnet50", "resnext50_32x4d" (ImageNet).
// Unknown names throw, listing these.
std::shared_ptr<Encoder> make_encoder(const std::string& arch, Generator& gen);
std::vector<std::string> encoder_names();

// A classification network: an encoder and a classifier on its features.

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
