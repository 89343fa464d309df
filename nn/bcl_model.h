// The network of Balanced Contrastive Learning (Zhu et al., CVPR 2022, models/resnext.py of the
// authors' code): one encoder shared by two branches.
//
//   features     f = encoder(x)                                [N, dim]
//   logits       fc(f)                                         [N, C]  (cross-entropy branch)
//   projections  normalize(head(f))                            [N, out] (contrastive branch)
//   prototypes   normalize(head_fc(W)), W = fc.weight rows     [C, out]
//
// head and head_fc are both Linear(dim, hidden) - BatchNorm1d(hidden) - ReLU - Linear(hidden, out),
// so their tensors are head.0.*, head.1.*, head.3.* (the ReLU, index 2, has none). The prototypes
// are the class centres of balanced contrastive learning: the classifier's weight rows mapped
// into the projection space, so the contrastive loss pulls each sample towards its class's
// prototype and both branches shape the same classifier. All of projections and prototypes lie
// on the unit sphere.
#pragma once

#include <memory>

#include "nn/classifier.h"
#include "nn/layers.h"

namespace bcl::nn {

struct BCLModelOptions {
  ClassifierOptions classifier;
  int64_t head_hidden = 512;
  int64_t head_out = 128;
};

struct BCLOutput {
  Tensor features;     // [N, dim]
  Tensor logits;       // [N, C]
  Tensor projections;  // [N, out], unit rows
  Tensor prototypes;   // [C, out], unit rows
};

class BCLModel : public Module {
 public:
  BCLModel(std::shared_ptr<Encoder> encoder, const BCLModelOptions& options, Generator& gen);
  std::string type_name() const override { return "BCLModel"; }

  BCLOutput forward_all(const Tensor& x);
  // Only the logits (evaluation): skips both heads.
  Tensor forward(const Tensor& x) override { return fc->forward(encoder->forward(x)); }
  // Only the pre-logit features [N, dim].
  Tensor features(const Tensor& x) { return encoder->forward(x); }

  std::shared_ptr<Encoder> encoder;
  std::shared_ptr<Linear> fc;
  std::shared_ptr<Sequential> head, head_fc;
};

}  // namespace bcl::nn
