// 2-D convolution layer (NCHW input, OIHW weight).
#pragma once

#include "autograd/ops.h"
#include "nn/module.h"
#include "tensor/random.h"

namespace bcl::nn {

// x [N, in, H, W] -> [N, out, Ho, Wo], Ho = (H + 2 padding - kernel) / stride + 1. weight
// [out, in / groups, kernel, kernel], bias [out] when enabled; PyTorch's default initialisation
// (nn/init.h), which models overwrite with their own.
class Conv2d : public Module {
 public:
  Conv2d(int64_t in_channels, int64_t out_channels, int64_t kernel_size, Generator& gen,
         int64_t stride = 1, int64_t padding = 0, bool bias = true, int64_t groups = 1);
  std::string type_name() const override { return "Conv2d"; }
  Tensor forward(const Tensor& x) override;

  Tensor weight, bias;
  Conv2dParams params;
};

}  // namespace bcl::nn
