#include "nn/init.h"

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

}  // namespace bcl::nn
