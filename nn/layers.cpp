#include "nn/layers.h"

#include <cmath>

namespace bcl::nn {

int64_t fan_in(const Tensor& weight) {
  BCL_CHECK(weight.dim() >= 2, "fan_in: needs a weight with at least 2 dims, got ",
            shape_str(weight.shape()));
  return weight.numel() / weight.size(0);
}

void default_init_(Tensor& weight, Tensor& bias, Generator& gen) {
  const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in(weight)));
  raw::uniform_(weight, -bound, bound, gen);
  if (bias.defined()) raw::uniform_(bias, -bound, bound, gen);
}

Tensor ReLU::forward(const Tensor& x) {
  return relu(x);
}

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

BatchNorm::BatchNorm(int64_t num_features) {
  BCL_CHECK(num_features > 0, "BatchNorm: num_features must be positive, got ", num_features);
  weight = ones({num_features});
  bias = zeros({num_features});
  running_mean = zeros({num_features});
  running_var = ones({num_features});
  num_batches_tracked = zeros({}, DType::Int64);
  register_parameter("weight", &weight);
  register_parameter("bias", &bias);
  register_buffer("running_mean", &running_mean);
  register_buffer("running_var", &running_var);
  register_buffer("num_batches_tracked", &num_batches_tracked);
}

Tensor BatchNorm::forward(const Tensor& x) {
  BCL_CHECK(accepts(x.dim()) && x.size(1) == num_features(), type_name(), "(", num_features(),
            "): expected input ", expected_input(), " with C = ", num_features(), ", got ",
            shape_str(x.shape()));
  if (is_training()) {
    // One value per channel has no variance (and an unbiased estimate divides by zero).
    BCL_CHECK(x.numel() / num_features() > 1, type_name(),
              ": training mode needs more than one value per channel, got input ",
              shape_str(x.shape()));
    raw::copy_(
        num_batches_tracked,
        raw::add(num_batches_tracked, scalar(1, DType::Int64, num_batches_tracked.device())));
  }
  return batch_norm(x, weight, bias, running_mean, running_var, is_training(), momentum, eps);
}

Linear::Linear(int64_t in_features, int64_t out_features, Generator& gen, bool has_bias) {
  BCL_CHECK(in_features > 0 && out_features > 0, "Linear: sizes must be positive, got in ",
            in_features, ", out ", out_features);
  weight = empty({out_features, in_features});
  if (has_bias) bias = empty({out_features});
  default_init_(weight, bias, gen);
  register_parameter("weight", &weight);
  if (has_bias) register_parameter("bias", &bias);
}

void Linear::check_input(const Tensor& x) const {
  BCL_CHECK(x.dim() == 2 && x.size(1) == in_features(), type_name(), "(", in_features(), ", ",
            out_features(), "): expected input [N, ", in_features(), "], got ",
            shape_str(x.shape()));
}

Tensor Linear::forward(const Tensor& x) {
  check_input(x);
  return linear(x, weight, bias);
}

NormedLinear::NormedLinear(int64_t in_features, int64_t out_features, Generator& gen, double s)
    : Linear(in_features, out_features, gen, /*bias=*/false), scale(s) {
  // As LDAM's uniform_(-1, 1).renorm_(...).mul_(1e5): uniform rows rescaled to unit norm.
  raw::uniform_(weight, -1.0, 1.0, gen);
  Tensor norms = raw::sqrt(raw::sum(raw::mul(weight, weight), {1}, /*keepdim=*/true));
  raw::copy_(weight, raw::div(weight, norms));
}

Tensor NormedLinear::forward(const Tensor& x) {
  check_input(x);
  Tensor cosine = linear(l2_normalize(x, 1), l2_normalize(weight, 1), Tensor());
  return cosine * scale;
}

MaxPool2d::MaxPool2d(int64_t kernel_size, int64_t stride, int64_t padding) {
  BCL_CHECK(kernel_size > 0 && stride > 0 && padding >= 0 && 2 * padding <= kernel_size,
            "MaxPool2d: invalid kernel ", kernel_size, ", stride ", stride, ", padding ", padding,
            " (padding may be at most half the kernel)");
  params.kernel_h = params.kernel_w = kernel_size;
  params.stride_h = params.stride_w = stride;
  params.pad_h = params.pad_w = padding;
}

Tensor MaxPool2d::forward(const Tensor& x) {
  return bcl::max_pool2d(x, params);  // qualified: ADL also finds raw::max_pool2d
}

Tensor GlobalAvgPool2d::forward(const Tensor& x) {
  return global_avg_pool2d(x);
}

Sequential::Sequential(const std::vector<std::shared_ptr<Module>>& layers) {
  for (const auto& layer : layers) push_back(layer);
}

void Sequential::push_back(std::shared_ptr<Module> layer) {
  register_module(std::to_string(layers_.size()), layer);
  layers_.push_back(std::move(layer));
}

Tensor Sequential::forward(const Tensor& x) {
  Tensor out = x;
  for (const auto& layer : layers_) out = layer->forward(out);
  return out;
}

Module& Sequential::operator[](size_t i) const {
  BCL_CHECK(i < layers_.size(), "Sequential: layer ", i, " of ", layers_.size());
  return *layers_[i];
}

}  // namespace bcl::nn
