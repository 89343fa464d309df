// Fully connected layers: Linear, and NormedLinear, the cosine classifier.
#pragma once

#include "nn/module.h"
#include "tensor/random.h"

namespace bcl::nn {

// y = x W^T + b, x [N, in] -> y [N, out]. weight [out, in], bias [out] (undefined without bias);
// PyTorch's default initialisation (nn/init.h).
class Linear : public Module {
 public:
  Linear(int64_t in_features, int64_t out_features, Generator& gen, bool bias = true);
  std::string type_name() const override { return "Linear"; }
  Tensor forward(const Tensor& x) override;

  int64_t in_features() const { return weight.size(1); }
  int64_t out_features() const { return weight.size(0); }

  Tensor weight, bias;

 protected:
  // [N, in]: throws naming the layer otherwise.
  void check_input(const Tensor& x) const;
};

// The cosine classifier of LDAM and BCL: logits_ij = s * cos(x_i, w_j), the cosine between the
// feature and class j's weight row, so every logit lies in [-s, s] whatever the feature norms
// (which long-tailed training would otherwise inflate for the head classes). A Linear without bias
// (the only parameter is weight [out, in]) whose rows start as random unit vectors.
class NormedLinear : public Linear {
 public:
  NormedLinear(int64_t in_features, int64_t out_features, Generator& gen, double scale = 30);
  std::string type_name() const override { return "NormedLinear"; }
  // s * normalize(x) normalize(W)^T, rows normalised to unit L2 norm.
  Tensor forward(const Tensor& x) override;

  double scale;
};

}  // namespace bcl::nn
