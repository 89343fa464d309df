#include "losses/logit_adjusted_ce.h"

#include <cmath>

namespace bcl::losses {

Tensor log_prior(const std::vector<int64_t>& class_counts, double tau, DType dtype, Device device) {
  BCL_CHECK(!class_counts.empty(), "log_prior: class_counts is empty");
  BCL_CHECK(std::isfinite(tau), "log_prior: tau must be finite, got ", tau);
  BCL_CHECK(is_floating(dtype), "log_prior: dtype must be floating point, got ", dtype_name(dtype));
  double total = 0;
  for (size_t c = 0; c < class_counts.size(); ++c) {
    BCL_CHECK(class_counts[c] > 0, "log_prior: class ", c, " has count ", class_counts[c],
              "; every class needs a positive count (its prior would be log 0)");
    total += static_cast<double>(class_counts[c]);
  }
  std::vector<double> offset(class_counts.size());
  // log(n_c / total) as log n_c - log total: no ratio rounds to 0 for a rare class.
  for (size_t c = 0; c < class_counts.size(); ++c)
    offset[c] = tau * (std::log(static_cast<double>(class_counts[c])) - std::log(total));
  return from_vector(offset, {static_cast<int64_t>(offset.size())}, dtype, device);
}

Tensor logit_adjusted_cross_entropy(const Tensor& logits, const Tensor& labels,
                                    const Tensor& log_prior_offset) {
  const char* op = "logit_adjusted_cross_entropy";
  BCL_CHECK(logits.defined(), op, ": logits are undefined");
  BCL_CHECK(log_prior_offset.defined(), op,
            ": log_prior_offset is undefined (make it with log_prior; plain cross_entropy needs "
            "none)");
  BCL_CHECK(logits.dim() == 2, op, ": logits must be [N, C], got shape ",
            shape_str(logits.shape()));
  BCL_CHECK(log_prior_offset.shape() == Shape{logits.size(1)}, op,
            ": log_prior_offset must have shape [", logits.size(1), "] (one entry per class of ",
            "logits ", shape_str(logits.shape()), "), got ", shape_str(log_prior_offset.shape()));
  // cross_entropy checks the rest (dtypes, devices, label values) and names the problem.
  try {
    return cross_entropy(logits, labels, log_prior_offset);
  } catch (const Error& e) {
    throw Error(std::string(op) + ": " + e.what());
  }
}

}  // namespace bcl::losses
