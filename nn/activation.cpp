#include "nn/activation.h"

#include "autograd/ops.h"

namespace bcl::nn {

Tensor ReLU::forward(const Tensor& x) {
  return relu(x);
}

}  // namespace bcl::nn
