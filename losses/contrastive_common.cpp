#include "losses/contrastive_common.h"

#include <cmath>
#include <limits>
#include <vector>

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
  if (num_classes <= 0) return;
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

Tensor contrastive_anchor_losses(const Tensor& logits, const Tensor& self, const Tensor& positive,
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

}  // namespace bcl::losses::detail
