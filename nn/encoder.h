// Encoder: the part of a classification network below its classifier.
//
// forward(images [N, 3, H, W]) returns the pre-logit features [N, feature_dim()], the input of the
// classifier (nn/classifier.h) and of BCL's projection head (nn/bcl_model.h).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "nn/linear.h"
#include "nn/module.h"
#include "tensor/random.h"

namespace bcl::nn {

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

}  // namespace bcl::nn
