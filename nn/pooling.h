// Pooling layers (NCHW).
#pragma once

#include "autograd/ops.h"
#include "nn/module.h"

namespace bcl::nn {

// Max over kernel x kernel windows; padding counts as -infinity.
class MaxPool2d : public Module {
 public:
  MaxPool2d(int64_t kernel_size, int64_t stride, int64_t padding = 0);
  std::string type_name() const override { return "MaxPool2d"; }
  Tensor forward(const Tensor& x) override;

  Pool2dParams params;
};

// The mean of each channel, flattened: [N, C, H, W] -> [N, C]. PyTorch's AdaptiveAvgPool2d(1)
// followed by flatten(1), as at the end of every ResNet.
class GlobalAvgPool2d : public Module {
 public:
  std::string type_name() const override { return "GlobalAvgPool2d"; }
  Tensor forward(const Tensor& x) override;
};

}  // namespace bcl::nn
