// 2-D convolution layer (NCHW input, OIHW weight).
#pragma once

#include "autograd/ops.h"
#include "nn/module.h"
#include "tensor/random.h"

namespace bcl::nn {

enum class Precision { Full, BF16 };

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
  // Full: in the weight's dtype (float32; float64 in gradient checks). BF16 is mixed precision:
  // x and the float32 master weight are rounded to bfloat16, the products are summed in float32
  // and the sum rounded to bf16 (bf16 tensor cores on a GPU), and the output comes back in x's
  // dtype. Gradients return to float32 through the same conversions, so the optimiser only ever
  // sees float32.
  Precision precision = Precision::Full;
};

// Sets the precision of every Conv2d in the module tree under root; returns how many it set.
// Everything else (batch norm, linear layers, heads, losses) stays in full precision: the
// convolutions hold nearly all of a ResNet's arithmetic.
int set_conv_precision(Module& root, Precision precision);

}  // namespace bcl::nn
