// CPU kernels of the fused contrastive-loss ops (SupCon and BCL between their two products): the
// class counts, the forward (one thread per anchor row) and the backward (one thread per row).
//
// Each follows, step for step and in the same dtype, the autograd composition it replaces
// (losses/contrastive_common.cpp: anchor_losses_from_masks), so the two agree to rounding: the
// shifted logits L - m and exp() rounded to T, the weight 1 / (n - [positive]) rounded to T and
// multiplied in T, the sums in double in reduce.cpp's 8-lane order and then rounded to T, log()
// in T. They are not bit for bit equal: the compiler may contract a product and a sum into an
// FMA here where the composition rounded the product on its own.
#include "tensor/kernels/contrastive.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "tensor/kernels/lane_sum.h"

namespace bcl {
namespace {

constexpr int64_t kParallelThreshold = 1 << 15;  // elements of the logits

// What both passes need per column, computed once per call: its label, and for BCL its class
// weight for anchors of another class, 1 / n_{y_k}, and for anchors of its class (k a positive),
// 1 / (n_{y_k} - 1), each rounded to T as the composition's 1 / (n - [positive]). n = 1 only for
// a class absent from the batch, whose prototype is nobody's positive: its weight_same (1 / 0) is
// never read. A label outside [0, C) (the front-end lets none through) gets NaN weights.
template <class T>
struct Columns {
  std::vector<int64_t> label;
  std::vector<T> weight_other, weight_same;  // empty for SupCon
};

template <class T>
Columns<T> columns_of(const Tensor& logits, const Tensor& labels, const Tensor& class_count) {
  const int64_t m = logits.size(0), k = logits.size(1), n = labels.size(0);
  const int64_t* yp = labels.data<int64_t>();
  Columns<T> cols;
  cols.label.resize(k);
  for (int64_t j = 0; j < k; ++j) cols.label[j] = j < m ? yp[j % n] : j - m;
  if (class_count.defined()) {
    const int64_t c = class_count.numel();
    const T* cp = class_count.data<T>();
    cols.weight_other.resize(k);
    cols.weight_same.resize(k);
    for (int64_t j = 0; j < k; ++j) {
      const int64_t y = cols.label[j];
      const T count = y >= 0 && y < c ? cp[y] : std::numeric_limits<T>::quiet_NaN();
      cols.weight_other[j] = T(1) / count;
      cols.weight_same[j] = T(1) / (count - T(1));
    }
  }
  return cols;
}

template <class T>
void class_count_cpu(const Tensor& labels, int64_t views, const Tensor& class_count) {
  const int64_t n = labels.numel(), c = class_count.numel();
  const int64_t* yp = labels.data<int64_t>();
  T* out = class_count.data<T>();
  std::vector<int64_t> images(c, 0);
  for (int64_t i = 0; i < n; ++i) {
    if (yp[i] >= 0 && yp[i] < c) ++images[yp[i]];
  }
  for (int64_t j = 0; j < c; ++j) out[j] = static_cast<T>(views * images[j] + 1);
}

template <class T>
void forward_cpu(const Tensor& logits, const Tensor& labels, const Tensor& class_count,
                 const Tensor& loss, const Tensor& row_max, const Tensor& log_denom,
                 const Tensor& positives) {
  const int64_t m = logits.size(0), k = logits.size(1);
  const Columns<T> cols = columns_of<T>(logits, labels, class_count);
  const int64_t* col_label = cols.label.data();
  const bool weighted = class_count.defined();
  const T* w_other = cols.weight_other.data();
  const T* w_same = cols.weight_same.data();
  const T* lp = logits.data<T>();
  T* pl = loss.data<T>();
  T* pm = row_max.data<T>();
  T* pd = log_denom.data<T>();
  T* pp = positives.data<T>();
#pragma omp parallel for schedule(static) if (m * k > kParallelThreshold)
  for (int64_t i = 0; i < m; ++i) {
    const T* row = lp + i * k;
    const int64_t yi = col_label[i];
    auto positive = [=](int64_t j) { return j != i && col_label[j] == yi; };
    // The max over k != i; the first NaN wins and stays, as in raw::max.
    T max = -std::numeric_limits<T>::infinity();
    for (int64_t j = 0; j < k; ++j) {
      const T v = row[j];
      if (j != i && (v > max || (v != v && max == max))) max = v;
    }
    int64_t count = 0;
    for (int64_t j = 0; j < k; ++j) count += positive(j);
    // The self term is exp(-inf) = 0 in the composition: adding 0.0 leaves the lanes as they are.
    const double denom = lane_sum(k, [=](int64_t j) -> double {
      if (j == i) return 0.0;
      const T e = std::exp(static_cast<T>(row[j] - max));
      if (!weighted) return e;
      return static_cast<T>(e * (col_label[j] == yi ? w_same[j] : w_other[j]));
    });
    const double pos_sum = lane_sum(
        k, [=](int64_t j) -> double { return positive(j) ? static_cast<T>(row[j] - max) : T(0); });
    // denom >= w exp(0) > 0 for the column of the max, unless the row has no other column.
    // cppcheck-suppress invalidFunctionArg
    const T ld = std::log(static_cast<T>(denom));
    const T mean_positive = static_cast<T>(pos_sum) / static_cast<T>(std::max<int64_t>(count, 1));
    pl[i] = count > 0 ? ld - mean_positive : T(0);
    pm[i] = max;
    pd[i] = ld;
    pp[i] = static_cast<T>(count);
  }
}

template <class T>
void backward_cpu(const Tensor& grad, const Tensor& logits, const Tensor& labels,
                  const Tensor& class_count, const Tensor& row_max, const Tensor& log_denom,
                  const Tensor& positives, const Tensor& grad_logits) {
  const int64_t m = logits.size(0), k = logits.size(1);
  const Columns<T> cols = columns_of<T>(logits, labels, class_count);
  const int64_t* col_label = cols.label.data();
  const bool weighted = class_count.defined();
  const T* w_other = cols.weight_other.data();
  const T* w_same = cols.weight_same.data();
  const T* gp = grad.data<T>();
  const T* lp = logits.data<T>();
  const T* pm = row_max.data<T>();
  const T* pd = log_denom.data<T>();
  const T* pp = positives.data<T>();
  T* out = grad_logits.data<T>();
#pragma omp parallel for schedule(static) if (m * k > kParallelThreshold)
  for (int64_t i = 0; i < m; ++i) {
    const T* row = lp + i * k;
    T* out_row = out + i * k;
    const T count = pp[i];
    // An anchor without a positive has the constant loss 0: no gradient.
    if (!(count > 0)) {
      std::fill(out_row, out_row + k, T(0));
      continue;
    }
    const int64_t yi = col_label[i];
    const T s = gp[i], max = pm[i], ld = pd[i], inv_count = T(1) / count;
    for (int64_t j = 0; j < k; ++j) {
      if (j == i) {
        out_row[j] = T(0);
        continue;
      }
      const bool pos = col_label[j] == yi;
      // The softmax-like share of column j in the denominator, from the saved max and log.
      T p = std::exp((row[j] - max) - ld);
      if (weighted) p = p * (pos ? w_same[j] : w_other[j]);
      if (pos) p = p - inv_count;
      out_row[j] = p * s;
    }
  }
}

const KernelRegistrar count_f32(contrastive_class_count_kernels(), Device::CPU, DType::Float32,
                                &class_count_cpu<float>);
const KernelRegistrar count_f64(contrastive_class_count_kernels(), Device::CPU, DType::Float64,
                                &class_count_cpu<double>);
const KernelRegistrar fwd_f32(contrastive_forward_kernels(), Device::CPU, DType::Float32,
                              &forward_cpu<float>);
const KernelRegistrar fwd_f64(contrastive_forward_kernels(), Device::CPU, DType::Float64,
                              &forward_cpu<double>);
const KernelRegistrar bwd_f32(contrastive_backward_kernels(), Device::CPU, DType::Float32,
                              &backward_cpu<float>);
const KernelRegistrar bwd_f64(contrastive_backward_kernels(), Device::CPU, DType::Float64,
                              &backward_cpu<double>);

}  // namespace
}  // namespace bcl
