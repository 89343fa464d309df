// Augmentation: random image ops, pipelines that end in normalisation, and multi-view transforms.
//
// A Pipeline applies ImageOps to an 8-bit RGB image in order, then normalises it into float32 CHW:
//   out[c][y][x] = (pixel(y, x, c) / 255 - mean[c]) / std[c].
// A MultiViewTransform holds K pipelines and makes K views of every image, one tensor per view in a
// batch: supervised training uses one, contrastive methods several (BCL: a classifier view and two
// contrastive views).
//
// The ops follow torchvision's transforms on PIL images (the BCL code's): the colour primitives
// are in color_ops.h, AutoAugment and RandAugment with their affine warps in auto_augment.h.
//
// Randomness: an op draws its parameters from the Generator it is handed, and the loader hands each
// (sample, view) a Generator seeded from (seed, epoch, sample index, view) by augment_generator().
// A view therefore depends only on those numbers, whichever worker thread makes it.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "tensor/random.h"

namespace bcl::data {

// Per-channel statistics of pixel values scaled to [0, 1].
struct Normalization {
  std::array<float, 3> mean{0.f, 0.f, 0.f};
  std::array<float, 3> std{1.f, 1.f, 1.f};
};
// The values the CIFAR-LT literature uses (LDAM-DRW, BCL), and torchvision's ImageNet ones.
extern const Normalization
    kCifar10Normalization;  // (0.4914, 0.4822, 0.4465) / (0.2023, 0.1994, 0.2010)
extern const Normalization
    kCifar100Normalization;  // (0.5071, 0.4865, 0.4409) / (0.2673, 0.2564, 0.2762)
extern const Normalization kImageNetNormalization;  // (0.485, 0.456, 0.406) / (0.229, 0.224, 0.225)
// Mean and (population) standard deviation of every pixel of an in-memory dataset.
Normalization compute_normalization(const Dataset& ds);

// The Generator for view `view` of sample `index` in epoch `epoch`.
Generator augment_generator(uint64_t seed, int64_t epoch, int64_t index, int view);

// One image -> image step, random or not. Implementations must be immutable after construction:
// one op serves all worker threads at once.
class ImageOp {
 public:
  virtual ~ImageOp() = default;
  virtual Image apply(const Image& img, Generator& gen) const = 0;
  virtual std::string name() const = 0;
};
using ImageOpPtr = std::shared_ptr<const ImageOp>;

// A size x size window at a uniformly random position in the image zero-padded by `padding` on each
// side (top and left each uniform in [-padding, H + padding - size]).
ImageOpPtr random_crop(int64_t size, int64_t padding = 0);
// The size x size window at the centre (top = (H - size) / 2 rounded down, likewise left).
ImageOpPtr center_crop(int64_t size);
// Mirrors left-right with probability p.
ImageOpPtr random_horizontal_flip(double p = 0.5);
// Bilinear rescale so that the shorter side is `size`.
ImageOpPtr resize_shorter(int64_t size);

// torchvision's RandomResizedCrop: a window of random area and aspect ratio, resized (bilinear,
// resize_bilinear) to size x size. The window comes from random_resized_crop_box.
ImageOpPtr random_resized_crop(int64_t size, std::array<double, 2> scale = {0.08, 1.0},
                               std::array<double, 2> ratio = {3.0 / 4.0, 4.0 / 3.0});
struct CropBox {
  int64_t top = 0, left = 0, height = 0, width = 0;
};
// torchvision's RandomResizedCrop.get_params on a height x width image: up to 10 attempts of
//   target area = H W U(scale), aspect = exp(U(log ratio0, log ratio1)),
//   w = round(sqrt(area aspect)), h = round(sqrt(area / aspect))  (round half to even)
// the first with 0 < w <= W and 0 < h <= H wins, placed uniformly (top in [0, H - h], left in
// [0, W - w]). Otherwise the centre crop of the whole image, its aspect clamped into the ratio
// range (w = W, h = round(W / ratio0) if W / H < ratio0; h = H, w = round(H ratio1) if above).
CropBox random_resized_crop_box(int64_t height, int64_t width, std::array<double, 2> scale,
                                std::array<double, 2> ratio, Generator& gen);

// torchvision's ColorJitter on PIL images: factors b ~ U[max(0, 1 - brightness), 1 + brightness],
// likewise contrast and saturation, hue h ~ U[-hue, hue] (a zero argument disables its step), then
// the four adjustments of color_ops.h in a random order (a uniform permutation).
ImageOpPtr color_jitter(double brightness, double contrast, double saturation, double hue);
struct ColorJitterDraw {
  std::array<int, 4> order{0, 1, 2, 3};  // 0 brightness, 1 contrast, 2 saturation, 3 hue
  std::array<bool, 4> enabled{};         // a step whose argument is 0 is skipped
  double brightness = 1, contrast = 1, saturation = 1, hue = 0;
};
Image apply_color_jitter(const Image& img, const ColorJitterDraw& draw);
ColorJitterDraw draw_color_jitter(double brightness, double contrast, double saturation, double hue,
                                  Generator& gen);

// The image in grayscale (ITU-R 601-2 luma in all three channels) with probability p.
ImageOpPtr random_grayscale(double p);
// The ops, in order, with probability p (one draw for all); otherwise the image unchanged.
ImageOpPtr random_apply(std::vector<ImageOpPtr> ops, double p);
ImageOpPtr random_apply(ImageOpPtr op, double p);
// Cutout (DeVries and Taylor 2017, one hole, as the BCL code's Cutout(n_holes=1, length)): centre
// (cy, cx) uniform over the pixels, rows [cy - length/2, cy + length/2) and the same columns,
// clipped to the image, set to 0 (black; the BCL code zeroes the [0, 1] tensor before normalising).
ImageOpPtr cutout(int64_t length);
// The ops in order, as one op (used inside random_apply and for describe()).
ImageOpPtr sequence(std::vector<ImageOpPtr> ops);

class Pipeline {
 public:
  Pipeline() = default;  // no ops, identity normalisation (lets vector<Pipeline>::resize work)
  Pipeline(std::vector<ImageOpPtr> ops, const Normalization& norm)
      : ops_(std::move(ops)), norm_(norm) {}

  // The ops, in order, drawing from gen.
  Image augment(const Image& img, Generator& gen) const;
  // Writes 3 * H * W floats, CHW, to out.
  void normalize(const Image& img, float* out) const;
  const Normalization& normalization() const { return norm_; }
  std::string describe() const;  // e.g. "random_crop(32, pad 4) -> hflip(0.5) -> normalize"

 private:
  std::vector<ImageOpPtr> ops_;
  Normalization norm_;
};

struct MultiViewTransform {
  std::vector<Pipeline> views;
  int num_views() const { return static_cast<int>(views.size()); }
};

// Standard pipelines. Small images (CIFAR): random crop with 4-pixel zero padding and a flip for
// training, nothing but normalisation for evaluation. Large images (list datasets): resize the
// shorter side to size * 8/7 (256 for 224), then a random crop and flip, or the centre crop.
Pipeline cifar_train_pipeline(const Normalization& norm, int64_t size = 32, int64_t padding = 4);
Pipeline plain_pipeline(const Normalization& norm);
Pipeline large_image_train_pipeline(const Normalization& norm, int64_t size = 224);
Pipeline large_image_eval_pipeline(const Normalization& norm, int64_t size = 224);

// ---- BCL's views ----------------------------------------------------------------------------
//
// The BCL code (FlamieZhu/Balanced-Contrastive-Learning, main.py) makes three views of every image:
// a classifier (CE) view and two contrastive views.
//   sim   RandomResizedCrop(size, scale 0.2..1), flip, ColorJitter(0.4, 0.4, 0.4, 0.1) with
//         p = 0.8, grayscale with p = 0.2 (SimCLR's augmentation; scale 0.2..1 as for CIFAR in
//         SupCon and PaCo, where the authors' ImageNet main.py keeps torchvision's 0.08..1)
//   rand  sim, then RandAugment rand-n2-m10-mstd0.5 filling with `fill` (as the authors' code:
//         after the grayscale step, before ToTensor and Normalize)
// CE views:
//   crop-flip       cifar_train_pipeline (random crop with size / 8 padding, flip)
//   autoaug-cutout  crop-flip, then AutoAugment's CIFAR-10 policy, then Cutout(size / 2)
//   randaug         crop-flip, then RandAugment rand-n2-m10-mstd0.5 filling with `fill`
// Large images (large_images = true, list datasets) start the CE views with
// large_image_train_pipeline's resize, crop and flip instead of the padded crop.
Pipeline sim_pipeline(const Normalization& norm, int64_t size);
Pipeline rand_pipeline(const Normalization& norm, int64_t size, std::array<uint8_t, 3> fill);
// ce_aug: crop-flip | autoaug-cutout | randaug; anything else throws bcl::Error listing these.
Pipeline ce_pipeline(const std::string& ce_aug, const Normalization& norm, int64_t size,
                     std::array<uint8_t, 3> fill, bool large_images = false);
// [CE view, contrastive view 1, contrastive view 2]. cl_views: sim-sim | sim-rand | rand-rand
// (sim-rand is [CE, rand, sim], the authors' order); unknown names throw bcl::Error listing the
// accepted values.
MultiViewTransform bcl_train_transform(const std::string& ce_aug, const std::string& cl_views,
                                       const Normalization& norm, int64_t size,
                                       std::array<uint8_t, 3> fill, bool large_images = false);
// timm/BCL's fill colour from a normalisation: min(255, round(255 mean[c])) per channel.
std::array<uint8_t, 3> mean_fill_colour(const Normalization& norm);

// A picture of the views: one row per image, the image itself (resized to the views' size when it
// differs) and then its views (Pipeline::augment, generator augment_generator(seed, 0, index,
// view)), each upscaled `zoom` times (nearest), `gap` pixels of grey between cells.
Image augmentation_grid(const std::vector<Image>& images, const std::vector<int64_t>& indices,
                        const MultiViewTransform& transform, uint64_t seed, int64_t zoom,
                        int64_t gap = 2);

}  // namespace bcl::data
