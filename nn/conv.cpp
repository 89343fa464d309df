#include "nn/conv.h"

#include "nn/init.h"

namespace bcl::nn {

Conv2d::Conv2d(int64_t in_channels, int64_t out_channels, int64_t kernel_size, Generator& gen,
               int64_t stride, int64_t padding, bool has_bias, int64_t groups) {
  BCL_CHECK(in_channels > 0 && out_channels > 0 && kernel_size > 0 && stride > 0 && padding >= 0,
            "Conv2d: invalid sizes (in ", in_channels, ", out ", out_channels, ", kernel ",
            kernel_size, ", stride ", stride, ", padding ", padding, ")");
  BCL_CHECK(groups > 0 && in_channels % groups == 0 && out_channels % groups == 0,
            "Conv2d: ", groups, " groups do not divide in ", in_channels, " and out ", out_channels,
            " channels");
  weight = empty({out_channels, in_channels / groups, kernel_size, kernel_size});
  if (has_bias) bias = empty({out_channels});
  default_init_(weight, bias, gen);
  params.stride_h = params.stride_w = stride;
  params.pad_h = params.pad_w = padding;
  params.groups = groups;
  register_parameter("weight", &weight);
  if (has_bias) register_parameter("bias", &bias);
}

Tensor Conv2d::forward(const Tensor& x) {
  const int64_t in_channels = weight.size(1) * params.groups;
  BCL_CHECK(x.dim() == 4 && x.size(1) == in_channels, "Conv2d(", in_channels, ", ", weight.size(0),
            "): expected input [N, ", in_channels, ", H, W], got ", shape_str(x.shape()));
  if (precision == Precision::Full)
    return bcl::conv2d(x, weight, bias, params);  // qualified: ADL also finds raw::conv2d
  Tensor y = bcl::conv2d(bcl::to_dtype(x, DType::BFloat16), bcl::to_dtype(weight, DType::BFloat16),
                         Tensor(), params);
  y = bcl::to_dtype(y, x.dtype());
  // The bias is added after the conversion back, in x's precision.
  return bias.defined() ? y + bcl::reshape(bias, {1, -1, 1, 1}) : y;
}

int set_conv_precision(Module& root, Precision precision) {
  int count = 0;
  if (auto* conv = dynamic_cast<Conv2d*>(&root)) {
    conv->precision = precision;
    ++count;
  }
  for (auto& [name, child] : root.named_children()) count += set_conv_precision(*child, precision);
  return count;
}

}  // namespace bcl::nn
