// Raw tensor ops: the tensor layer's whole vocabulary.
//
// Nothing in namespace bcl::raw records gradients. Each op checks its arguments (a failed check
// throws bcl::Error naming the op and the shapes), allocates its output on the inputs' device, and
// calls the kernel registered for (device, dtype) in the op's DispatchTable. All inputs of an op
// must share device and dtype, except index tensors, which are Int64.
//
// The differentiable versions, used to build models, are in autograd/ops.h.
#pragma once

#include <cstdint>
#include <vector>

#include "tensor/op_params.h"
#include "tensor/tensor.h"

namespace bcl::raw {

// ---- Views (share storage, no copy) ---------------------------------------------------------
// view: new shape over the same elements; needs a contiguous tensor. One size may be -1.
Tensor view(const Tensor& x, Shape shape);
// reshape: a view of a contiguous tensor, else a view of a contiguous copy.
Tensor reshape(const Tensor& x, Shape shape);
Tensor permute(const Tensor& x, const std::vector<int64_t>& dims);
Tensor transpose(const Tensor& x, int64_t d0, int64_t d1);
// narrow (slice): elements [start, start + length) along dim.
Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length);
// expand: broadcasts size-1 dims (stride 0) to `shape`; may prepend dims.
Tensor expand(const Tensor& x, const Shape& shape);
Tensor unsqueeze(const Tensor& x, int64_t dim);
Tensor squeeze(const Tensor& x, int64_t dim);
// flatten dims [start, end] into one.
Tensor flatten(const Tensor& x, int64_t start = 0, int64_t end = -1);

// ---- Copies ---------------------------------------------------------------------------------
Tensor contiguous(const Tensor& x);  // x itself when already contiguous
Tensor clone(const Tensor& x);       // always a new contiguous tensor
// dst[...] = src[...]; src broadcasts to dst's shape; dtypes may differ (converted).
void copy_(const Tensor& dst, const Tensor& src);
Tensor to_dtype(const Tensor& x, DType dtype);
Tensor to_device(const Tensor& x, Device device);
void fill_(const Tensor& x, double value);

// ---- Elementwise (NumPy broadcasting) -------------------------------------------------------
Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b);
inline Tensor add(const Tensor& a, const Tensor& b) {
  return binary(BinaryOp::Add, a, b);
}
inline Tensor sub(const Tensor& a, const Tensor& b) {
  return binary(BinaryOp::Sub, a, b);
}
inline Tensor mul(const Tensor& a, const Tensor& b) {
  return binary(BinaryOp::Mul, a, b);
}
inline Tensor div(const Tensor& a, const Tensor& b) {
  return binary(BinaryOp::Div, a, b);
}
inline Tensor relu_grad(const Tensor& g, const Tensor& x) {
  return binary(BinaryOp::ReluGrad, g, x);
}
inline Tensor maximum(const Tensor& a, const Tensor& b) {
  return binary(BinaryOp::Maximum, a, b);
}
inline Tensor minimum(const Tensor& a, const Tensor& b) {
  return binary(BinaryOp::Minimum, a, b);
}
// Comparisons give 1 where true and 0 where false, in the inputs' dtype.
inline Tensor eq(const Tensor& a, const Tensor& b) {
  return binary(BinaryOp::Eq, a, b);
}
inline Tensor ne(const Tensor& a, const Tensor& b) {
  return binary(BinaryOp::Ne, a, b);
}
inline Tensor lt(const Tensor& a, const Tensor& b) {
  return binary(BinaryOp::Lt, a, b);
}
inline Tensor le(const Tensor& a, const Tensor& b) {
  return binary(BinaryOp::Le, a, b);
}
inline Tensor gt(const Tensor& a, const Tensor& b) {
  return binary(BinaryOp::Gt, a, b);
}
inline Tensor ge(const Tensor& a, const Tensor& b) {
  return binary(BinaryOp::Ge, a, b);
}

Tensor unary(UnaryOp op, const Tensor& x, double p = 0, double q = 0);
inline Tensor neg(const Tensor& x) {
  return unary(UnaryOp::Neg, x);
}
inline Tensor exp(const Tensor& x) {
  return unary(UnaryOp::Exp, x);
}
inline Tensor log(const Tensor& x) {
  return unary(UnaryOp::Log, x);
}
inline Tensor sqrt(const Tensor& x) {
  return unary(UnaryOp::Sqrt, x);
}
inline Tensor rsqrt(const Tensor& x) {
  return unary(UnaryOp::Rsqrt, x);
}
inline Tensor relu(const Tensor& x) {
  return unary(UnaryOp::Relu, x);
}
inline Tensor pow(const Tensor& x, double p) {
  return unary(UnaryOp::PowScalar, x, p);
}
inline Tensor add_scalar(const Tensor& x, double p) {
  return unary(UnaryOp::AddScalar, x, p);
}
inline Tensor mul_scalar(const Tensor& x, double p) {
  return unary(UnaryOp::MulScalar, x, p);
}
inline Tensor clamp(const Tensor& x, double lo, double hi) {
  return unary(UnaryOp::Clamp, x, lo, hi);
}

// where(cond, a, b) = a where cond != 0 else b; all three broadcast together. cond has a's dtype.
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);

// In place: dst += alpha * src, src broadcasting to dst (gradient accumulation, SGD).
void add_(const Tensor& dst, const Tensor& src, double alpha = 1.0);
// In place: dst *= alpha.
void mul_(const Tensor& dst, double alpha);

// ---- Reductions -----------------------------------------------------------------------------
// Over `dims` (all dims when empty); keepdim keeps them as size 1.
Tensor sum(const Tensor& x, const std::vector<int64_t>& dims = {}, bool keepdim = false);
Tensor mean(const Tensor& x, const std::vector<int64_t>& dims = {}, bool keepdim = false);
// Max over all elements (a scalar tensor).
Tensor max_all(const Tensor& x);
struct MaxResult {
  Tensor values;
  Tensor indices;  // Int64, the first index of the maximum along dim
};
MaxResult max(const Tensor& x, int64_t dim, bool keepdim = false);
Tensor argmax(const Tensor& x, int64_t dim, bool keepdim = false);
// Sums the broadcast dims of x away so the result has `shape` (the adjoint of expand).
Tensor sum_to(const Tensor& x, const Shape& shape);

// ---- Matrix products (CBLAS on the CPU) -----------------------------------------------------
// [m,k] x [k,n] -> [m,n]; [b,m,k] x [b,k,n] -> [b,m,n]; a 2-D operand broadcasts over the batch.
// Transposed views (from transpose()) are passed to GEMM as transposes, without a copy.
Tensor matmul(const Tensor& a, const Tensor& b);
// Plain triple loop, the oracle for matmul.
Tensor matmul_reference(const Tensor& a, const Tensor& b);

// ---- Shape and indexing ---------------------------------------------------------------------
Tensor concat(const std::vector<Tensor>& xs, int64_t dim);
// Views of consecutive pieces with the given sizes along dim (they must sum to the dim's size).
std::vector<Tensor> split(const Tensor& x, const std::vector<int64_t>& sizes, int64_t dim);
// n pieces of ceil(size/n) (the last may be smaller), as torch.chunk.
std::vector<Tensor> chunk(const Tensor& x, int64_t n, int64_t dim);
// out.select(dim, i) = x.select(dim, index[i]); index is a 1-D Int64 tensor.
Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index);
// The adjoint of index_select: zeros of `shape`, then out.select(dim, index[i]) += src.select(dim,
// i).
Tensor index_add(const Shape& shape, int64_t dim, const Tensor& index, const Tensor& src);
// Gather by label: x [N, C], labels [N] Int64 -> out [N], out[i] = x[i, labels[i]].
Tensor gather_labels(const Tensor& x, const Tensor& labels);
// Its adjoint: zeros [N, C] with out[i, labels[i]] = g[i].
Tensor scatter_labels(const Tensor& g, const Tensor& labels, int64_t num_classes);
// labels [N] Int64 -> [N, num_classes] of 0/1 in dtype. Labels out of range throw.
Tensor one_hot(const Tensor& labels, int64_t num_classes, DType dtype = DType::Float32);

// ---- Convolution (NCHW input, OIHW weight, dilation 1) --------------------------------------
// x [N, C, H, W], w [O, C/groups, kh, kw], bias [O] or undefined -> [N, O, Ho, Wo] with
// Ho = (H + 2 pad_h - kh) / stride_h + 1.
Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor& bias, const Conv2dParams& p);
// dL/dx given dL/dy.
Tensor conv2d_backward_input(const Tensor& grad_out, const Tensor& w, const Shape& x_shape,
                             const Conv2dParams& p);
// dL/dw given dL/dy.
Tensor conv2d_backward_weight(const Tensor& grad_out, const Tensor& x, const Shape& w_shape,
                              const Conv2dParams& p);
// Direct seven-loop versions, the oracles for the three above.
Tensor conv2d_reference(const Tensor& x, const Tensor& w, const Tensor& bias,
                        const Conv2dParams& p);
Tensor conv2d_backward_input_reference(const Tensor& grad_out, const Tensor& w,
                                       const Shape& x_shape, const Conv2dParams& p);
Tensor conv2d_backward_weight_reference(const Tensor& grad_out, const Tensor& x,
                                        const Shape& w_shape, const Conv2dParams& p);

// ---- Batch normalisation (x [N, C, *]; statistics per channel over N and *) -----------------
struct BatchNormOutput {
  Tensor out;
  Tensor save_mean;    // [C], batch mean (training) or running mean (eval)
  Tensor save_invstd;  // [C], 1 / sqrt(var + eps), var the biased batch variance (training)
};
// Training: normalise with batch statistics, then running = (1 - momentum) * running +
// momentum * batch, with the unbiased variance for running_var (as PyTorch). Running tensors may
// be undefined (no update). gamma/beta may be undefined (1 and 0).
BatchNormOutput batch_norm_train(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                 const Tensor& running_mean, const Tensor& running_var,
                                 double momentum, double eps);
// Eval: normalise with the running statistics.
Tensor batch_norm_eval(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                       const Tensor& running_mean, const Tensor& running_var, double eps);
struct BatchNormGrads {
  Tensor grad_input, grad_gamma, grad_beta;
};
// Backward of training mode: with xh = (x - mean) * invstd and M = N * prod(*),
// dx = gamma * invstd / M * (M dy - sum dy - xh sum(dy xh)), dgamma = sum(dy xh), dbeta = sum dy.
BatchNormGrads batch_norm_backward(const Tensor& grad_out, const Tensor& x, const Tensor& gamma,
                                   const Tensor& save_mean, const Tensor& save_invstd);
BatchNormOutput batch_norm_train_reference(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                           const Tensor& running_mean, const Tensor& running_var,
                                           double momentum, double eps);
BatchNormGrads batch_norm_backward_reference(const Tensor& grad_out, const Tensor& x,
                                             const Tensor& gamma, const Tensor& save_mean,
                                             const Tensor& save_invstd);

// ---- Pooling (NCHW) -------------------------------------------------------------------------
struct MaxPoolOutput {
  Tensor out;
  Tensor indices;  // Int64, flat index h * W + w of each maximum in its input plane
};
// Padding counts as -infinity.
MaxPoolOutput max_pool2d(const Tensor& x, const Pool2dParams& p);
Tensor max_pool2d_backward(const Tensor& grad_out, const Tensor& indices, const Shape& x_shape);
// Padding counts as zeros in the average (PyTorch's count_include_pad=True).
Tensor avg_pool2d(const Tensor& x, const Pool2dParams& p);
Tensor avg_pool2d_backward(const Tensor& grad_out, const Shape& x_shape, const Pool2dParams& p);

// ---- Softmax --------------------------------------------------------------------------------
// log_softmax(x)_i = x_i - max - log sum_j exp(x_j - max), along dim.
Tensor log_softmax(const Tensor& x, int64_t dim);
// Given y = log_softmax(x): dx = dy - exp(y) * sum(dy) along dim.
Tensor log_softmax_backward(const Tensor& grad_out, const Tensor& y, int64_t dim);

// ---- Fused ops: one kernel where the composition takes several ------------------------------
// cross_entropy, l2_normalize and sgd_step (tensor/ops_<op>.cpp, tensor/kernels/<op>.*) each give
// the result of the composition they replace (named below), on the CPU bit for bit unless stated.

// Cross-entropy parts for logits [N, C], labels [N] Int64 and an optional offset [C] (undefined
// means none; e.g. the logit adjustment tau * log prior), with z = logits + offset:
//   nll[i] = -log softmax(z_i)[y_i]  (= -gather_labels(log_softmax(z, 1), labels)),
//   row_max[i] = max_j z_ij,  log_sum[i] = log sum_j exp(z_ij - row_max[i]),
// the last two being all the backward needs besides the inputs. A label outside [0, C) throws
// "gather_labels: labels[i] = v is out of range [0, C)", the message of the op this one absorbs
// (for CUDA labels that means a copy of the labels to the host, which waits for the stream).
struct CrossEntropyParts {
  Tensor nll;
  Tensor row_max;
  Tensor log_sum;
};
CrossEntropyParts cross_entropy_forward(const Tensor& logits, const Tensor& labels,
                                        const Tensor& offset);
// grad_logits_ij = (softmax(z_i)_j - [j == y_i]) * (grad_i * scale), with softmax(z_i)_j =
// exp((z_ij - row_max[i]) - log_sum[i]) recomputed from the saved parts. grad has one element
// (used for every row: the gradient of a mean, with scale 1 / N) or shape [N].
Tensor cross_entropy_backward(const Tensor& grad, double scale, const Tensor& logits,
                              const Tensor& labels, const Tensor& offset, const Tensor& row_max,
                              const Tensor& log_sum);

// L2 normalisation along the last dim: out = x / denom, denom = max(||x||_2, eps) of shape x's
// with the last dim 1 (sqrt(sum(x * x)) then maximum(norm, eps) as in the composition; a NaN norm
// stays NaN). Forward and backward agree with the composition to an ulp or so, not bit for bit: the
// loops may contract a * b + c into an FMA where the composition rounds a * b first.
struct L2NormalizeParts {
  Tensor out;
  Tensor denom;
};
L2NormalizeParts l2_normalize_last(const Tensor& x, double eps);
// Its backward given y = out: along the last dim,
//   dx = (g - (y * sum(g * y)) * [denom > eps]) / denom,
// i.e. (g - y sum(g y)) / ||x|| where the norm is the divisor and g / eps where eps is.
Tensor l2_normalize_last_backward(const Tensor& grad_out, const Tensor& y, const Tensor& denom,
                                  double eps);

// One torch.optim.SGD step (dampening 0) on a parameter, in place, elementwise:
//   d = g + weight_decay * p            (when weight_decay != 0)
//   buf = first_step ? d : momentum * buf + d,  d = nesterov ? d + momentum * buf : buf
//                                       (when momentum != 0; buf is unused and may be undefined
//                                        otherwise)
//   p -= lr * d
// with each step rounded as raw::add_ and raw::mul_ round it, so it equals that composition bit
// for bit on the CPU. param and momentum_buf must be contiguous; grad is read only.
void sgd_step_(const Tensor& param, const Tensor& grad, const Tensor& momentum_buf,
               const SgdStepParams& s);

// ---- Contrastive losses (tensor/ops_contrastive.cpp): the row-wise part of SupCon and BCL -----
// Everything between the similarity product and the per-anchor loss, one kernel each way (the
// products themselves stay on matmul). The layout is the losses' (losses/supcon.h, losses/bcl.h):
// the M = V N anchors are the V views of N images, view-major (anchor v N + n is view v of image
// n, label labels[n]); the K columns are the M anchors, then, when num_classes C > 0, the C class
// prototypes (column M + j has label j), so K = M + C. logits [M, K] are the similarities already
// divided by the temperature, labels [N] Int64 on the logits' device. With
//   P(i) = {k != i : y_k = y_i}, the positives of anchor i,
//   w_ik = 1 when C = 0 (SupCon), and 1 / (n_{y_k} - [k in P(i)]) when C > 0 (BCL's class
//          averaging: n_j = V |{n : y_n = j}| + 1 columns have class j, |B_j| of losses/bcl.h),
//   m_i  = max_{k != i} L_ik,
//   log_denom_i = log sum_{k != i} w_ik exp(L_ik - m_i),
//   loss_i = log_denom_i - 1/|P(i)| sum_{k in P(i)} (L_ik - m_i), and 0 when P(i) is empty,
// i.e. loss_i = -1/|P(i)| sum_{p in P(i)} log(exp(L_ip) / sum_{k != i} w_ik exp(L_ik)). The
// [M, K] masks are never built: the kernels compare labels. The results agree with the
// composition of losses/contrastive_common.h to rounding (float64 ~1e-15 relative), not bit for
// bit. With C > 0 every label must lie in [0, C): CPU labels are checked here ("labels[i] = v is
// out of range [0, C)"); CUDA labels are not read back, which would wait for the stream (bcl_loss
// checks its labels itself first), and an out-of-range one makes the weights it reaches NaN, never
// an out-of-bounds read. With C = 0 labels may take any values.
struct ContrastiveParts {
  Tensor loss;         // [M]
  Tensor row_max;      // [M], m_i
  Tensor log_denom;    // [M]
  Tensor positives;    // [M], |P(i)| in the logits' dtype
  Tensor class_count;  // [C], n_j in the logits' dtype; undefined when C = 0
};
ContrastiveParts contrastive_forward(const Tensor& logits, const Tensor& labels,
                                     int64_t num_classes);
// grad [M] (dL/dloss_i) -> dL/dlogits [M, K] from the saved parts (C = parts.class_count's size):
//   grad_ik = grad_i (w_ik exp((L_ik - m_i) - log_denom_i) - [k in P(i)] / |P(i)|)  for k != i,
// 0 at k = i and on the rows of anchors without a positive. parts.loss is not read.
Tensor contrastive_backward(const Tensor& grad, const Tensor& logits, const Tensor& labels,
                            const ContrastiveParts& parts);

}  // namespace bcl::raw
