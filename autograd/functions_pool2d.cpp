// Differentiable pooling: max, average and global average over the spatial dims of [N, C, H, W].
#include "autograd/ops.h"

namespace bcl {

Tensor max_pool2d(const Tensor& x, const Pool2dParams& p) {
  raw::MaxPoolOutput r = raw::max_pool2d(x, p);
  // d(max of a window)/dx = 1 at the window's (first) argmax and 0 elsewhere; a pixel that is the
  // maximum of several overlapping windows collects all their gradients.
  return record("max_pool2d", r.out, {x},
                [indices = r.indices, x_shape = x.shape()](const Tensor& g) -> std::vector<Tensor> {
                  return {raw::max_pool2d_backward(g, indices, x_shape)};
                });
}

Tensor avg_pool2d(const Tensor& x, const Pool2dParams& p) {
  Tensor out = raw::avg_pool2d(x, p);
  // d(window sum / (kernel_h kernel_w))/dx = 1 / (kernel_h kernel_w) for each pixel of the window
  return record("avg_pool2d", out, {x},
                [x_shape = x.shape(), p](const Tensor& g) -> std::vector<Tensor> {
                  return {raw::avg_pool2d_backward(g, x_shape, p)};
                });
}

Tensor global_avg_pool2d(const Tensor& x) {
  BCL_CHECK(x.dim() == 4 && x.size(2) > 0 && x.size(3) > 0,
            "global_avg_pool2d: expected a non-empty input [N, C, H, W], got ",
            shape_str(x.shape()));
  Tensor out = raw::mean(x, {2, 3});
  // y[n, c] = 1/(H W) sum_{h, w} x[n, c, h, w]: dx[n, c, h, w] = G[n, c] / (H W)
  return record(
      "global_avg_pool2d", out, {x}, [x_shape = x.shape()](const Tensor& g) -> std::vector<Tensor> {
        const Tensor spread = raw::expand(raw::reshape(g, {x_shape[0], x_shape[1], 1, 1}), x_shape);
        return {raw::mul_scalar(spread, 1.0 / static_cast<double>(x_shape[2] * x_shape[3]))};
      });
}

}  // namespace bcl
