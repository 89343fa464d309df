#include "losses/supcon.h"

#include <unordered_map>

#include "losses/contrastive_common.h"

namespace bcl::losses {
namespace {

// The images whose label another image of the batch shares, read on the host: with one view,
// the anchors that have a positive.
int64_t images_with_shared_label(const Tensor& labels) {
  const Tensor y = raw::contiguous(raw::to_device(labels, Device::CPU));
  const int64_t* p = y.data<int64_t>();
  std::unordered_map<int64_t, int64_t> count;
  for (int64_t i = 0; i < y.numel(); ++i) ++count[p[i]];
  int64_t shared = 0;
  for (const auto& entry : count) {
    if (entry.second > 1) shared += entry.second;
  }
  return shared;
}

}  // namespace

Tensor supcon_loss(const Tensor& features, const Tensor& labels, double temperature) {
  const char* op = "supcon_loss";
  detail::check_temperature(op, temperature);
  detail::check_features(op, features, /*views=*/0);
  detail::check_labels(op, labels, features.size(0), /*num_classes=*/0);
  const int64_t views = features.size(1), a = features.size(0) * views;

  // The anchors in the mean, those with a positive: with V >= 2 all of them (each has its other
  // views), without reading the labels; with V = 1 those whose label is shared, counted on the
  // host (a wait for the stream when the labels are on the GPU).
  const int64_t anchors = views >= 2 ? a : images_with_shared_label(labels);
  BCL_CHECK(anchors > 0, op, ": no anchor has a positive: one view per image and all ",
            features.size(0), " labels distinct; give two views or repeat a label");

  // contrastive_anchor_losses builds no [A, A] mask: its kernels compare labels. An anchor without
  // a positive gets loss 0 there, so the sum over all anchors is the sum over those in the mean.
  const Device dev = features.device();
  const Tensor z = detail::views_to_rows(features);                   // [A, D]
  const Tensor logits = matmul(z, transpose(z, 0, 1)) / temperature;  // [A, A]
  const Tensor per_anchor = contrastive_anchor_losses(logits, raw::to_device(labels, dev), 0);
  return sum(per_anchor) / static_cast<double>(anchors);
}

}  // namespace bcl::losses
