// The layers models are built from, each a Module with PyTorch's names, state and defaults:
// Conv2d, BatchNorm1d/2d, Linear and NormedLinear, ReLU, MaxPool2d, GlobalAvgPool2d, Sequential;
// and the weight initialisation they share.
#pragma once

#include <memory>
#include <vector>

#include "autograd/ops.h"
#include "nn/module.h"
#include "tensor/random.h"

namespace bcl::nn {

// ---- Initialisation: every fill draws from an explicit Generator, so a seed reproduces a model
// exactly.

// fan_in of a weight [out, in, *kernel]: in * prod(kernel) (for a grouped conv, in is already the
// per-group count).
int64_t fan_in(const Tensor& weight);

// PyTorch's default for Linear and Conv2d: kaiming_uniform_ with a = sqrt(5), whose bound
// gain * sqrt(3 / fan_in) with gain = sqrt(2 / (1 + 5)) reduces to 1 / sqrt(fan_in); the bias
// (if defined) is U(-1/sqrt(fan_in), 1/sqrt(fan_in)) too.
void default_init_(Tensor& weight, Tensor& bias, Generator& gen);

// ---- Activation ------------------------------------------------------------------------------

// max(x, 0) elementwise.
class ReLU : public Module {
 public:
  std::string type_name() const override { return "ReLU"; }
  Tensor forward(const Tensor& x) override;
};

// ---- 2-D convolution (NCHW input, OIHW weight) ------------------------------------------------

enum class Precision { Full, BF16 };

// x [N, in, H, W] -> [N, out, Ho, Wo], Ho = (H + 2 padding - kernel) / stride + 1. weight
// [out, in / groups, kernel, kernel], bias [out] when enabled; PyTorch's default initialisation
// (default_init_), which models overwrite with their own.
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

// ---- Batch normalisation (Ioffe & Szegedy 2015), with PyTorch's state and defaults ------------

// y = weight * (x - mean) / sqrt(var + eps) + bias per channel (dim 1). Training mode uses the
// batch's statistics and updates running = (1 - momentum) running + momentum batch (unbiased
// variance); evaluation mode uses the running statistics.
//
// State as PyTorch's: parameters weight (1) and bias (0); buffers running_mean (0),
// running_var (1) and num_batches_tracked (Int64 scalar, counts training forwards; unused with a
// fixed momentum but kept so that PyTorch's strict load_state_dict accepts our checkpoints).
class BatchNorm : public Module {
 public:
  Tensor forward(const Tensor& x) override;
  int64_t num_features() const { return weight.size(0); }

  Tensor weight, bias, running_mean, running_var, num_batches_tracked;
  double momentum = 0.1;
  double eps = 1e-5;

 protected:
  explicit BatchNorm(int64_t num_features);
  // Whether an input of `dims` dims is valid, and how to describe the valid ones.
  virtual bool accepts(int64_t dims) const = 0;
  virtual const char* expected_input() const = 0;
};

// x [N, C] or [N, C, L].
class BatchNorm1d final : public BatchNorm {
 public:
  explicit BatchNorm1d(int64_t num_features) : BatchNorm(num_features) {}
  std::string type_name() const override { return "BatchNorm1d"; }

 private:
  bool accepts(int64_t dims) const override { return dims == 2 || dims == 3; }
  const char* expected_input() const override { return "[N, C] or [N, C, L]"; }
};

// x [N, C, H, W].
class BatchNorm2d final : public BatchNorm {
 public:
  explicit BatchNorm2d(int64_t num_features) : BatchNorm(num_features) {}
  std::string type_name() const override { return "BatchNorm2d"; }

 private:
  bool accepts(int64_t dims) const override { return dims == 4; }
  const char* expected_input() const override { return "[N, C, H, W]"; }
};

// ---- Fully connected: Linear, and NormedLinear, the cosine classifier -------------------------

// y = x W^T + b, x [N, in] -> y [N, out]. weight [out, in], bias [out] (undefined without bias);
// PyTorch's default initialisation (default_init_).
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

// ---- Pooling (NCHW) ---------------------------------------------------------------------------

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

// ---- Sequential: a chain of single-input modules, applied in order -----------------------------

// Layer i is registered under the name "i", as in PyTorch, so the weight of the first layer of a
// Sequential child "head" is "head.0.weight".
class Sequential : public Module {
 public:
  Sequential() = default;
  explicit Sequential(const std::vector<std::shared_ptr<Module>>& layers);
  std::string type_name() const override { return "Sequential"; }

  void push_back(std::shared_ptr<Module> layer);
  Tensor forward(const Tensor& x) override;

  size_t size() const { return layers_.size(); }
  Module& operator[](size_t i) const;
  // Layer i as its concrete type; throws if it is another.
  template <class M>
  M& at(size_t i) const {
    M* layer = dynamic_cast<M*>(&(*this)[i]);
    BCL_CHECK(layer != nullptr, "Sequential: layer ", i, " is a ", (*this)[i].type_name());
    return *layer;
  }

 private:
  std::vector<std::shared_ptr<Module>> layers_;
};

}  // namespace bcl::nn
