// Activation layers.
#pragma once

#include "nn/module.h"

namespace bcl::nn {

// max(x, 0) elementwise.
class ReLU : public Module {
 public:
  std::string type_name() const override { return "ReLU"; }
  Tensor forward(const Tensor& x) override;
};

}  // namespace bcl::nn
