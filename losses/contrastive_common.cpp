#include "losses/contrastive_common.h"

#include <cmath>
#include <limits>
#include <vector>

#include "tensor/value_checks.h"

namespace bcl::losses::detail {

void check_temperature(const char* op, double temperature) {
  BCL_CHECK(std::isfinite(temperature) && temperature > 0, op,
            ": temperature must be a finite number > 0, got ", temperature);
}

void check_features(const char* op, const Tensor& features, int64_t views) {
  BCL_CHECK(features.defined(), op, ": features are undefined");
  BCL_CHECK(features.dim() == 3, op, ": features must be [N, V, D] (batch, views, dim), got shape ",
            shape_str(features.shape()));
  BCL_CHECK(is_floating(features.dtype()), op, ": features must be floating point, got ",
            dtype_name(features.dtype()));
  BCL_CHECK(features.size(0) > 0 && features.size(2) > 0, op,
            ": features must have a non-empty batch and feature dim, got shape ",
            shape_str(features.shape()));
  if (views > 0)
    BCL_CHECK(features.size(1) == views, op, ": features must have ", views, " views (shape [N, ",
              views, ", D]), got shape ", shape_str(features.shape()));
  else
    BCL_CHECK(features.size(1) >= 1, op, ": features have no views, shape ",
              shape_str(features.shape()));
}

void check_labels(const char* op, const Tensor& labels, int64_t n, int64_t num_classes) {
  BCL_CHECK(labels.defined(), op, ": labels are undefined");
  BCL_CHECK(labels.dtype() == DType::Int64 && labels.shape() == Shape{n}, op,
            ": labels must be int64 of shape [", n, "] (one per image), got ",
            dtype_name(labels.dtype()), " ", shape_str(labels.shape()));
  // GPU labels are read (a wait for the stream) only while gpu_value_checks() is on; the fused
  // kernels turn a bad label into a NaN loss and never index with it.
  if (num_classes <= 0 || (labels.device() != Device::CPU && !gpu_value_checks())) return;
  const std::vector<double> y = labels.to_vector();
  for (size_t i = 0; i < y.size(); ++i)
    BCL_CHECK(y[i] >= 0 && y[i] < static_cast<double>(num_classes), op, ": labels[", i,
              "] = ", static_cast<int64_t>(y[i]), " is outside [0, ", num_classes,
              ") (the classes are the prototypes' rows)");
}

Tensor views_to_rows(const Tensor& features) {
  const int64_t n = features.size(0), v = features.size(1), d = features.size(2);
  return reshape(transpose(features, 0, 1), {v * n, d});
}

Tensor repeat_labels(const Tensor& labels, int64_t views) {
  const Tensor y = raw::to_device(labels, Device::CPU);
  return raw::reshape(raw::expand(raw::unsqueeze(y, 0), {views, y.size(0)}), {views * y.size(0)});
}

Tensor anchor_losses_from_masks(const Tensor& logits, const Tensor& self, const Tensor& positive,
                                const Tensor& weight) {
  const Tensor neg_inf =
      scalar(-std::numeric_limits<double>::infinity(), logits.dtype(), logits.device());
  // Raw ops: m is detached.
  const Tensor m = raw::max(raw::where(self, neg_inf, logits), 1, /*keepdim=*/true).values;
  const Tensor shifted = logits - m;
  Tensor terms = exp(where(self, neg_inf, shifted));
  if (weight.defined()) terms = terms * weight;
  const Tensor log_denominator = log(sum(terms, {1}));
  // |P(i)|, raised to 1 where it is 0 so that those anchors give a finite value to mask.
  const Tensor count =
      raw::maximum(raw::sum(positive, {1}), ones({}, logits.dtype(), logits.device()));
  const Tensor mean_positive = sum(shifted * positive, {1}) / count;
  return log_denominator - mean_positive;
}

Tensor supcon_loss_composed(const Tensor& features, const Tensor& labels, double temperature) {
  const char* op = "supcon_loss";
  const int64_t views = features.size(1), a = features.size(0) * views;
  const DType dt = features.dtype();

  // Masks over [A, A], built on the CPU from the labels (the count of anchors below is needed on
  // the host anyway), then moved to the features' device in one copy each.
  const Tensor y = repeat_labels(labels, views);  // on the CPU
  const Tensor idx = arange(a, DType::Int64, Device::CPU);
  const Tensor self = raw::to_dtype(raw::eq(raw::unsqueeze(idx, 1), raw::unsqueeze(idx, 0)), dt);
  const Tensor same = raw::to_dtype(raw::eq(raw::unsqueeze(y, 1), raw::unsqueeze(y, 0)), dt);
  const Tensor positive = raw::sub(same, self);
  const Tensor has_positive = raw::gt(raw::sum(positive, {1}), zeros({}, dt, positive.device()));
  const double anchors = raw::sum(has_positive).item();
  // With V >= 2 every anchor has its other views, so only V = 1 can get here.
  BCL_CHECK(anchors > 0, op, ": no anchor has a positive: one view per image and all ",
            features.size(0), " labels distinct; give two views or repeat a label");

  const Device dev = features.device();
  const Tensor z = views_to_rows(features);                           // [A, D]
  const Tensor logits = matmul(z, transpose(z, 0, 1)) / temperature;  // [A, A]
  const Tensor per_anchor = anchor_losses_from_masks(logits, raw::to_device(self, dev),
                                                     raw::to_device(positive, dev), Tensor());
  return sum(per_anchor * raw::to_device(has_positive, dev)) / anchors;
}

Tensor bcl_loss_composed(const Tensor& features, const Tensor& labels, const Tensor& prototypes,
                         double temperature) {
  const int64_t b = features.size(0), c = prototypes.size(0), m = 2 * b, k = m + c;
  const DType dt = features.dtype();

  // Masks and weights over [2B anchors, 2B + C columns], built on the CPU from the labels (a few
  // small integer ops), then moved to the features' device in one copy each.
  const Device host = Device::CPU;
  const Tensor column_labels =
      raw::concat({repeat_labels(labels, 2), arange(c, DType::Int64, host)}, 0);  // [K]
  const Tensor anchor_labels = raw::narrow(column_labels, 0, 0, m);               // [M]
  const Tensor self = raw::to_dtype(raw::eq(raw::unsqueeze(arange(m, DType::Int64, host), 1),
                                            raw::unsqueeze(arange(k, DType::Int64, host), 0)),
                                    dt);
  const Tensor same = raw::to_dtype(
      raw::eq(raw::unsqueeze(anchor_labels, 1), raw::unsqueeze(column_labels, 0)), dt);
  const Tensor positive = raw::sub(same, self);
  // n_j = columns of class j (2 per image, 1 prototype); the anchor's own class loses the anchor:
  // |B_j| = n_j - [j == y_i], which is n_{y_k} - positive_ik for column k (0 on self, where the
  // term is absent anyway). Always >= 1: a class has its prototype.
  const Tensor class_size = raw::sum(raw::one_hot(column_labels, c, dt), {0});       // [C]
  const Tensor column_class_size = raw::index_select(class_size, 0, column_labels);  // [K]
  const Tensor weight =
      raw::div(ones({}, dt, host), raw::sub(raw::unsqueeze(column_class_size, 0), positive));

  const Device dev = features.device();
  const Tensor z = views_to_rows(features);                                 // [M, D]
  const Tensor columns = concat({z, prototypes}, 0);                        // [K, D]
  const Tensor logits = matmul(z, transpose(columns, 0, 1)) / temperature;  // [M, K]
  return mean(anchor_losses_from_masks(logits, raw::to_device(self, dev),
                                       raw::to_device(positive, dev), raw::to_device(weight, dev)));
}

}  // namespace bcl::losses::detail
