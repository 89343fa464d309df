#include "nn/batch_norm.h"

#include "autograd/ops.h"

namespace bcl::nn {

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

}  // namespace bcl::nn
