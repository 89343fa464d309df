#include "nn/linear.h"

#include "autograd/ops.h"
#include "nn/init.h"

namespace bcl::nn {

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

}  // namespace bcl::nn
