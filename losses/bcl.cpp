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
  const int64_t b = features.size(0), c = prototypes.size(0), m = 2 * b, k = m + c;
  detail::check_labels(op, labels, b, c);
  const DType dt = features.dtype();

  // Masks and weights over [2B anchors, 2B + C columns], built on the CPU from the labels (a few
  // small integer ops), then moved to the features' device in one copy each.
  const Device host = Device::CPU;
  const Tensor column_labels =
      raw::concat({detail::repeat_labels(labels, 2), arange(c, DType::Int64, host)}, 0);  // [K]
  const Tensor anchor_labels = raw::narrow(column_labels, 0, 0, m);                       // [M]
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
  const Tensor z = detail::views_to_rows(features);                         // [M, D]
  const Tensor columns = concat({z, prototypes}, 0);                        // [K, D]
  const Tensor logits = matmul(z, transpose(columns, 0, 1)) / temperature;  // [M, K]
  return mean(detail::contrastive_anchor_losses(logits, raw::to_device(self, dev),
                                                raw::to_device(positive, dev),
                                                raw::to_device(weight, dev)));
}

}  // namespace bcl::losses
