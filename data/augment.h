// Augmentation: random image ops, pipelines that end in normalisation, and multi-view transforms.
//
// A Pipeline applies ImageOps to an 8-bit RGB image in order, then normalises it into float32 CHW:
//   out[c][y][x] = (pixel(y, x, c) / 255 - mean[c]) / std[c].
// A MultiViewTransform holds K pipelines and makes K views of every image, one tensor per view in a
// batch: supervised training uses one, contrastive methods several (BCL: a classifier view and two
// contrastive views).
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

class Pipeline {
 public:
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

}  // namespace bcl::data
