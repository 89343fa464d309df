// Batch normalisation layers (Ioffe & Szegedy 2015), with PyTorch's state and defaults.
#pragma once

#include "nn/module.h"

namespace bcl::nn {

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

}  // namespace bcl::nn
