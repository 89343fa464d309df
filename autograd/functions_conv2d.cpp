// Differentiable conv2d: the raw convolution plus its two backward convolutions.
#include "autograd/ops.h"

namespace bcl {

Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor& bias, const Conv2dParams& p) {
  Tensor out = raw::conv2d(x, w, bias, p);
  const bool grad_x = needs_grad({x}), grad_w = needs_grad({w}), grad_b = needs_grad({bias});
  // y[n, o] = b[o] + sum_c w[o, c] * x[n, c] (cross-correlation, within o's group):
  // dx is the transposed convolution of G with w, dw correlates x with G, db = sum_{n, h, w} G
  return record(
      "conv2d", out, {x, w, bias},
      [saved_x = grad_w ? x : Tensor(), saved_w = grad_x ? w : Tensor(), x_shape = x.shape(),
       w_shape = w.shape(), p, grad_b](const Tensor& g) -> std::vector<Tensor> {
        return {saved_w.defined() ? raw::conv2d_backward_input(g, saved_w, x_shape, p) : Tensor(),
                saved_x.defined() ? raw::conv2d_backward_weight(g, saved_x, w_shape, p) : Tensor(),
                grad_b ? raw::sum(g, {0, 2, 3}) : Tensor()};
      });
}

}  // namespace bcl
