// What a training step computes from a batch, for each method of bcl-train (and bcl-bench):
//
//   ce    cross-entropy on the CE view                                     1 view
//   bs    balanced softmax: cross-entropy of logits + tau * log prior      1 view
//   scl   alpha * balanced softmax + beta * SupCon on the 2 contrastive views        3 views
//   bcl   alpha * balanced softmax + beta * BCL on the 2 contrastive views and the
//         class prototypes                                                 3 views
//
// As in the authors' code (Zhu et al. 2022, main.py), the 3 views of a batch go through the
// encoder and both heads as one batch of 3B images, so BatchNorm sees all of them; the logits
// of the CE view and the projections of the two contrastive views are then sliced out.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nn/bcl_model.h"

namespace bcl::losses {

struct ObjectiveOptions {
  std::string method = "ce";  // ce | bs | scl | bcl
  double la_tau = 1.0;        // logit adjustment of bs, scl and bcl
  double alpha = 2.0, beta = 0.6, temperature = 0.1;
  Device device = Device::CPU;  // the model's: where the log-prior offset lives
};

class Objective {
 public:
  Objective(const ObjectiveOptions& options, const std::vector<int64_t>& class_counts);

  const std::string& method() const { return o_.method; }
  bool contrastive() const { return o_.method == "scl" || o_.method == "bcl"; }
  int views() const { return contrastive() ? 3 : 1; }

  struct Outputs {
    Tensor logits;      // [B, C], CE view
    Tensor features;    // [B, 2, D], unit projections of the two contrastive views
    Tensor prototypes;  // [C, D], unit (bcl)
  };
  // The forward pass: batch[0] only for ce and bs; the views batch[0..2] as one batch of 3B images
  // for scl and bcl.
  Outputs forward(nn::BCLModel& model, const std::vector<Tensor>& batch) const;

  struct Terms {
    Tensor total, ce, contrastive;  // contrastive undefined for ce and bs
  };
  // labels [B] int64, on the outputs' device (the losses need them there).
  Terms loss(const Outputs& out, const Tensor& labels) const;

 private:
  ObjectiveOptions o_;
  Tensor log_prior_;  // undefined for ce
};

}  // namespace bcl::losses
