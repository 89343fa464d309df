// Stochastic gradient descent with momentum, with torch.optim.SGD's exact update (dampening 0):
//
//   g' = g + wd * p                       (weight decay, L2)
//   buf = g'            on the first step
//   buf = mu * buf + g' afterwards
//   p -= lr * (nesterov ? g' + mu * buf : buf)
//
// With mu = 0 there is no buffer and p -= lr * g'. Parameters without a gradient are skipped, as in
// PyTorch. The learning rate may change every step (nn/schedule.h).
#pragma once

#include <map>
#include <string>

#include "nn/module.h"

namespace bcl::nn {

struct SGDOptions {
  double lr = 0.1;
  double momentum = 0.9;
  double weight_decay = 5e-4;
  bool nesterov = false;
};

class SGD {
 public:
  // params: the model's named_parameters(); the names key the optimiser's state.
  SGD(NamedTensors params, const SGDOptions& options);

  void step();
  void zero_grad();
  void set_lr(double lr) { options_.lr = lr; }
  double lr() const { return options_.lr; }
  const SGDOptions& options() const { return options_; }

  // The momentum buffers as "momentum.<parameter name>", for checkpoints. A parameter that has
  // not been stepped yet has none.
  std::map<std::string, Tensor> state_dict() const;
  // Replaces the buffers. Every name must be "momentum.<a parameter>" with that parameter's shape
  // and dtype, else bcl::Error (and nothing changes).
  void load_state_dict(const std::map<std::string, Tensor>& state);

 private:
  NamedTensors params_;
  SGDOptions options_;
  std::map<std::string, Tensor> momentum_;  // by parameter name
};

}  // namespace bcl::nn
