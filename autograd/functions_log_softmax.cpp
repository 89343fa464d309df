// Differentiable log_softmax.
#include "autograd/ops.h"

namespace bcl {

Tensor log_softmax(const Tensor& x, int64_t dim) {
  Tensor y = raw::log_softmax(x, dim);
  // With y = log softmax(x) along dim: dy_i/dx_j = [i == j] - softmax_j, so
  //   dx = g - exp(y) sum(g).
  // The backward keeps a detached alias of y: y itself owns this node, a reference cycle.
  return record("log_softmax", y, {x},
                [y = detach(y), dim](const Tensor& g) -> std::vector<Tensor> {
                  return {raw::log_softmax_backward(g, y, dim)};
                });
}

}  // namespace bcl
