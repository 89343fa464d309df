// Differentiable ops: the vocabulary for building models.
//
// Each op is a raw op (tensor/ops.h) plus a recorded backward. The derivative of each is written as
// math next to its forward in autograd/functions_*.cpp. Gradients reduce over broadcast dims, so
// dL/da always has a's shape.
#pragma once

#include <vector>

#include "autograd/node.h"
#include "tensor/ops.h"

namespace bcl {

// ---- Elementwise ----------------------------------------------------------------------------
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor add(const Tensor& a, double b);
Tensor mul(const Tensor& a, double b);
Tensor neg(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor rsqrt(const Tensor& x);
Tensor pow(const Tensor& x, double p);
Tensor relu(const Tensor& x);
Tensor clamp(const Tensor& x, double lo, double hi);
// cond is not differentiated.
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);
// Converts the floating x to another floating dtype; the gradient converts back (mixed precision:
// bfloat16 operands of a convolution whose master copies are float32).
Tensor to_dtype(const Tensor& x, DType dtype);

inline Tensor operator+(const Tensor& a, const Tensor& b) {
  return add(a, b);
}
inline Tensor operator-(const Tensor& a, const Tensor& b) {
  return sub(a, b);
}
inline Tensor operator*(const Tensor& a, const Tensor& b) {
  return mul(a, b);
}
inline Tensor operator/(const Tensor& a, const Tensor& b) {
  return div(a, b);
}
inline Tensor operator+(const Tensor& a, double b) {
  return add(a, b);
}
inline Tensor operator-(const Tensor& a, double b) {
  return add(a, -b);
}
inline Tensor operator*(const Tensor& a, double b) {
  return mul(a, b);
}
inline Tensor operator*(double a, const Tensor& b) {
  return mul(b, a);
}
inline Tensor operator/(const Tensor& a, double b) {
  return mul(a, 1.0 / b);
}
inline Tensor operator-(const Tensor& x) {
  return neg(x);
}

// ---- Reductions -----------------------------------------------------------------------------
Tensor sum(const Tensor& x, const std::vector<int64_t>& dims = {}, bool keepdim = false);
Tensor mean(const Tensor& x, const std::vector<int64_t>& dims = {}, bool keepdim = false);
// Max along dim; the gradient flows to the first maximum (argmax).
Tensor max(const Tensor& x, int64_t dim, bool keepdim = false);

// ---- Products, layers -----------------------------------------------------------------------
Tensor matmul(const Tensor& a, const Tensor& b);
// x [N, in], weight [out, in], bias [out] or undefined -> x W^T + b.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias);
Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor& bias, const Conv2dParams& p);
// Training mode uses batch statistics and updates the running ones (if defined); eval mode uses
// the running ones.
Tensor batch_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                  const Tensor& running_mean, const Tensor& running_var, bool training,
                  double momentum = 0.1, double eps = 1e-5);
Tensor max_pool2d(const Tensor& x, const Pool2dParams& p);
Tensor avg_pool2d(const Tensor& x, const Pool2dParams& p);
// [N, C, H, W] -> [N, C]
Tensor global_avg_pool2d(const Tensor& x);

// ---- Normalisation, softmax, losses ---------------------------------------------------------
// x / max(||x||_2, eps) along dim (as torch.nn.functional.normalize).
Tensor l2_normalize(const Tensor& x, int64_t dim, double eps = 1e-12);
Tensor log_softmax(const Tensor& x, int64_t dim);
// Mean over the batch of -log softmax(logits + offset)[label]. logits [N, C], labels [N] Int64,
// offset [C] or undefined (logit adjustment: offset = tau * log prior). Offset is not
// differentiated.
Tensor cross_entropy(const Tensor& logits, const Tensor& labels, const Tensor& offset = Tensor());
// The per-anchor losses [M] of SupCon (num_classes 0) and BCL (num_classes C) from their logits
// [M, K] (similarities / temperature) and image labels [N], in the layout and with the definition
// of raw::contrastive_forward (tensor/ops.h): loss_i = -1/|P(i)| sum_{p in P(i)} log(exp(L_ip) /
// sum_{k != i} w_ik exp(L_ik)), 0 for an anchor without a positive. Labels are not
// differentiated.
Tensor contrastive_anchor_losses(const Tensor& logits, const Tensor& labels, int64_t num_classes);

// ---- Shape and indexing ---------------------------------------------------------------------
Tensor reshape(const Tensor& x, const Shape& shape);
Tensor permute(const Tensor& x, const std::vector<int64_t>& dims);
Tensor transpose(const Tensor& x, int64_t d0, int64_t d1);
Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length);
Tensor expand(const Tensor& x, const Shape& shape);
Tensor unsqueeze(const Tensor& x, int64_t dim);
Tensor squeeze(const Tensor& x, int64_t dim);
Tensor flatten(const Tensor& x, int64_t start = 0, int64_t end = -1);
Tensor concat(const std::vector<Tensor>& xs, int64_t dim);
// LDAM's "option A" shortcut for a block that halves the resolution and doubles the channels:
// x[:, :, ::2, ::2] padded with `pad_channels` zero channels on each side,
//   out[n, c + pad, i, j] = x[n, c, 2i, 2j],  zero for the padded channels.
// It adds no parameters. Differentiable: its gradient is the incoming one's middle channels placed
// back at the even positions, zero elsewhere.
Tensor option_a_shortcut(const Tensor& x, int64_t pad_channels);
std::vector<Tensor> split(const Tensor& x, const std::vector<int64_t>& sizes, int64_t dim);
std::vector<Tensor> chunk(const Tensor& x, int64_t n, int64_t dim);
Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index);
// x [N, C], labels [N] -> [N]
Tensor gather_labels(const Tensor& x, const Tensor& labels);

}  // namespace bcl
