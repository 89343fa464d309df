// BCL's three training views made on the device that holds the images: the dataset's pixels are
// copied there once, and each batch's views are drawn and rendered by the batched augmentation
// ops of data/augment_batch.h, so a training step on the GPU gets its views without a trip through
// the host (only the batch's indices travel, when they come from the host).
//
// The views are bcl_train_transform(ce_aug, cl_views, norm, size)'s: [CE view, contrastive view 1,
// contrastive view 2]. The CE view is "crop-flip" (random crop with size / 8 zero padding, flip),
// "autoaug-cutout" (the same, then AutoAugment's CIFAR-10 policy and Cutout) or "randaug" (crop,
// flip, RandAugment); the contrastive views are "sim" or "rand" (sim, then RandAugment) as cl_views
// says (sim-sim, sim-rand, rand-rand). View v of sample i comes from the draws of
// augment_generator(seed, epoch, indices[i], v), as in the DataLoader, and the views are the
// DataLoader's: the draws and pixels are the very functions its ops call (data/augment_draws.h,
// augment_pixels.h). On a GPU the draws' transcendental functions may differ in the last bits,
// which moves a pixel rarely.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/augment.h"
#include "data/augment_batch.h"
#include "data/dataset.h"

namespace bcl::data {

class GpuViews {
 public:
  // ds must be held in memory, its images all of one size whose sides are at least
  // size - 2 (size / 8) (the crop with its padding). Views with AutoAugment or RandAugment are at
  // most 64 px. Works with device CPU too.
  GpuViews(const Dataset& ds, Device device, const Normalization& norm, int64_t size = 32,
           const std::string& ce_aug = "crop-flip", const std::string& cl_views = "sim-sim");

  Device device() const { return images_.bytes.device(); }
  int64_t num_samples() const { return images_.count; }
  const augment::PackedImages& images() const { return images_; }
  const Tensor& labels() const { return labels_; }  // Int64 [num_samples()] on device()
  const std::string& ce_aug() const { return ce_aug_; }
  const std::string& cl_views() const { return cl_views_; }
  const augment::CropFlipConfig& ce_config() const { return ce_; }  // crop-flip
  const augment::SimConfig& sim_config() const { return sim_; }
  const augment::ChannelNorm& channel_norm() const { return norm_; }

  // [CE view, sim, sim], float32 [N, 3, size, size] each, on device(); views = 1 makes the CE
  // view alone (ce and bs train on it). Indices out of range throw bcl::Error naming the position.
  std::vector<Tensor> make(const std::vector<int64_t>& indices, int64_t epoch, uint64_t seed,
                           int views = 3) const;
  // indices: Int64 [N] on device(). On a GPU they are not range-checked (that would wait for the
  // stream): a sample out of range comes out NaN.
  std::vector<Tensor> make(const Tensor& indices, int64_t epoch, uint64_t seed,
                           int views = 3) const;

 private:
  augment::PackedImages images_;
  Tensor labels_;
  std::string ce_aug_, cl_views_;
  augment::CropFlipConfig ce_;
  augment::AutoAugCutoutConfig autoaug_;
  augment::RandAugConfig randaug_;
  augment::RandViewConfig rand_;
  augment::SimConfig sim_;
  augment::ChannelNorm norm_;
};

}  // namespace bcl::data
