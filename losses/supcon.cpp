#include "losses/supcon.h"

#include "losses/contrastive_common.h"

namespace bcl::losses {

Tensor supcon_loss(const Tensor& features, const Tensor& labels, double temperature) {
  const char* op = "supcon_loss";
  detail::check_temperature(op, temperature);
  detail::check_features(op, features, /*views=*/0);
  detail::check_labels(op, labels, features.size(0), /*num_classes=*/0);
  const int64_t views = features.size(1), a = features.size(0) * views;
  const DType dt = features.dtype();

  // Masks over [A, A], built on the CPU from the labels (the count of anchors below is needed on
  // the host anyway), then moved to the features' device in one copy each.
  const Tensor y = detail::repeat_labels(labels, views);  // on the CPU
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
  const Tensor z = detail::views_to_rows(features);                   // [A, D]
  const Tensor logits = matmul(z, transpose(z, 0, 1)) / temperature;  // [A, A]
  const Tensor per_anchor = detail::contrastive_anchor_losses(
      logits, raw::to_device(self, dev), raw::to_device(positive, dev), Tensor());
  return sum(per_anchor * raw::to_device(has_positive, dev)) / anchors;
}

}  // namespace bcl::losses
