#include "losses/bcl.h"

#include "losses/contrastive_common.h"

namespace bcl::losses {

Tensor bcl_loss(const Tensor& features, const Tensor& labels, const Tensor& prototypes,
                double temperature) {
  const char* op = "bcl_loss";
  detail::check_temperature(op, temperature);
  detail::check_features(op, features, /*views=*/2);
  BCL_CHECK(prototypes.defined(), op, ": prototypes are undefined");
  BCL_CHECK(
      prototypes.dim() == 2 && prototypes.size(0) > 0 && prototypes.size(1) == features.size(2), op,
      ": prototypes must be [C, D] with C > 0 and D = ", features.size(2),
      " (the features' dim), got shape ", shape_str(prototypes.shape()));
  BCL_CHECK(prototypes.dtype() == features.dtype() && prototypes.device() == features.device(), op,
            ": prototypes are ", dtype_name(prototypes.dtype()), " on ",
            device_name(prototypes.device()), " but features are ", dtype_name(features.dtype()),
            " on ", device_name(features.device()));
  const int64_t b = features.size(0), c = prototypes.size(0);
  // Reads the labels on the host: free for CPU labels, one wait for the stream for CUDA ones
  // (skipped while gpu_value_checks() is off, tensor/value_checks.h).
  detail::check_labels(op, labels, b, c);

  // Anchors are the 2B views (view-major), columns the 2B views and then the C prototypes, the
  // layout of contrastive_anchor_losses. Its kernels count n_j (2 columns per image of class j, 1
  // prototype) and form the class-averaging weights 1 / |B_{y_k}| = 1 / (n_{y_k} - [k is a
  // positive of i]), never 1 / 0 as a class has its prototype, and the masks from the labels
  // themselves: the [2B, 2B + C] masks and weights of the composition (detail::bcl_loss_composed)
  // are never built.
  const Device dev = features.device();
  const Tensor z = detail::views_to_rows(features);                         // [M, D]
  const Tensor columns = concat({z, prototypes}, 0);                        // [K, D]
  const Tensor logits = matmul(z, transpose(columns, 0, 1)) / temperature;  // [M, K]
  return mean(contrastive_anchor_losses(logits, raw::to_device(labels, dev), c));
}

}  // namespace bcl::losses
