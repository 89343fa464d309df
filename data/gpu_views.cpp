// data::GpuViews: the dataset packed once on its device, and each batch's three views from the
// batched augmentation ops (draws, then pixels), one pair of kernel launches per view.
#include "data/gpu_views.h"

#include <array>
#include <cstring>

#include "data/augment.h"
#include "tensor/error.h"

namespace bcl::data {

GpuViews::GpuViews(const Dataset& ds, Device device, const Normalization& norm, int64_t size,
                   const std::string& ce_aug, const std::string& cl_views)
    : ce_aug_(ce_aug), cl_views_(cl_views) {
  BCL_CHECK(!ds.lazy() && !ds.images.empty(), "GpuViews: needs a non-empty dataset held in memory");
  BCL_CHECK(size > 0, "GpuViews: bad view size ", size);
  BCL_CHECK(ce_aug == "crop-flip" || ce_aug == "autoaug-cutout" || ce_aug == "randaug",
            "GpuViews: CE view '", ce_aug, "': expected crop-flip, autoaug-cutout or randaug");
  BCL_CHECK(cl_views == "sim-sim" || cl_views == "sim-rand" || cl_views == "rand-rand",
            "GpuViews: contrastive views '", cl_views,
            "': expected sim-sim, sim-rand or rand-rand");
  BCL_CHECK((ce_aug == "crop-flip" && cl_views == "sim-sim") || size <= augment::kMaxPolicyViewSize,
            "GpuViews: AutoAugment and RandAugment views are at most ", augment::kMaxPolicyViewSize,
            " px, not ", size);
  // ce_pipeline's and rand_pipeline's settings. AutoAugment fills with its own grey (128),
  // RandAugment with the dataset's mean colour, as bcl_train_transform does.
  const auto side = static_cast<int32_t>(size);
  const std::array<uint8_t, 3> fill = mean_fill_colour(norm);
  autoaug_ = augment::autoaug_cutout_config(side);
  randaug_ = augment::randaug_config(side, fill.data());
  rand_ = augment::rand_view_config(side, fill.data());
  const int64_t h = ds.images.front().height, w = ds.images.front().width;
  ce_.size = static_cast<int32_t>(size);
  ce_.padding = static_cast<int32_t>(size / 8);
  ce_.flip_p = 0.5;
  BCL_CHECK(h + 2 * ce_.padding >= size && w + 2 * ce_.padding >= size, "GpuViews: images ", h, "x",
            w, " are smaller than the ", size, "x", size, " crop with padding ", ce_.padding);
  // The images, back to back, for one upload.
  std::vector<uint8_t> pixels(static_cast<size_t>(ds.size() * h * w * 3));
  for (size_t i = 0; i < ds.images.size(); ++i) {
    const Image& img = ds.images[i];
    BCL_CHECK(img.height == h && img.width == w, "GpuViews: image ", i, " is ", img.height, "x",
              img.width, ", image 0 is ", h, "x", w, " (all must have one size)");
    std::memcpy(pixels.data() + i * img.pixels.size(), img.pixels.data(), img.pixels.size());
  }
  images_ = augment::pack_images(pixels.data(), ds.size(), h, w, device);
  Tensor labels = empty({ds.size()}, DType::Int64);
  std::memcpy(labels.raw_data(), ds.labels.data(), ds.labels.size() * sizeof(int64_t));
  labels_ = raw::to_device(labels, device);
  // sim_pipeline: random_resized_crop(size, scale 0.2..1, ratio 3/4..4/3), flip 0.5,
  // color_jitter(0.4, 0.4, 0.4, 0.1) with p 0.8, grayscale with p 0.2 (SimConfig's defaults).
  sim_.size = static_cast<int32_t>(size);
  norm_ = augment::channel_norm(norm.mean.data(), norm.std.data());
}

std::vector<Tensor> GpuViews::make(const std::vector<int64_t>& indices, int64_t epoch,
                                   uint64_t seed, int views) const {
  const auto n = static_cast<int64_t>(indices.size());
  for (int64_t i = 0; i < n; ++i) {
    BCL_CHECK(indices[i] >= 0 && indices[i] < images_.count, "GpuViews: indices[", i,
              "] = ", indices[i], " is out of range [0, ", images_.count, ")");
  }
  Tensor host = empty({n}, DType::Int64);
  if (n > 0) std::memcpy(host.raw_data(), indices.data(), indices.size() * sizeof(int64_t));
  return make(raw::to_device(host, device()), epoch, seed, views);
}

std::vector<Tensor> GpuViews::make(const Tensor& indices, int64_t epoch, uint64_t seed,
                                   int views) const {
  BCL_CHECK(indices.defined() && indices.device() == device(), "GpuViews: indices must be on ",
            device_name(device()));
  BCL_CHECK(views == 1 || views == 3, "GpuViews: views must be 1 (the CE view) or 3, got ", views);
  std::vector<Tensor> out;
  for (int32_t view = 0; view < views; ++view) {
    const augment::SampleKey key{seed, epoch, view};
    const int64_t h = images_.height, w = images_.width;
    // bcl_train_transform's views: sim-rand makes view 1 a rand view, rand-rand both.
    const bool rand =
        (view == 1 && cl_views_ != "sim-sim") || (view == 2 && cl_views_ == "rand-rand");
    if (view == 0 && ce_aug_ == "autoaug-cutout") {
      const Tensor params = augment::autoaug_cutout_params(indices, key, autoaug_, h, w);
      out.push_back(augment::augment_autoaug_cutout(images_, indices, params, autoaug_, norm_));
    } else if (view == 0 && ce_aug_ == "randaug") {
      const Tensor params = augment::randaug_params(indices, key, randaug_, h, w);
      out.push_back(augment::augment_randaug(images_, indices, params, randaug_, norm_));
    } else if (view == 0) {
      const Tensor params = augment::crop_flip_params(indices, key, ce_, h, w);
      out.push_back(augment::augment_crop_flip(images_, indices, params, ce_, norm_));
    } else if (rand) {
      const Tensor params = augment::rand_view_params(indices, key, rand_, h, w);
      out.push_back(augment::augment_rand_view(images_, indices, params, rand_, norm_));
    } else {
      const Tensor params = augment::sim_params(indices, key, sim_, h, w);
      out.push_back(augment::augment_sim(images_, indices, params, sim_, norm_));
    }
  }
  return out;
}

}  // namespace bcl::data
