#include "data/augment.h"

#include <algorithm>
#include <cmath>

#include "data/augment_draws.h"
#include "data/auto_augment.h"
#include "data/color_ops.h"
#include "data/image_ops.h"
#include "data/sampling.h"
#include "tensor/error.h"

namespace bcl::data {

const Normalization kCifar10Normalization{{0.4914f, 0.4822f, 0.4465f}, {0.2023f, 0.1994f, 0.2010f}};
const Normalization kCifar100Normalization{{0.5071f, 0.4865f, 0.4409f},
                                           {0.2673f, 0.2564f, 0.2762f}};
const Normalization kImageNetNormalization{{0.485f, 0.456f, 0.406f}, {0.229f, 0.224f, 0.225f}};

Normalization compute_normalization(const Dataset& ds) {
  BCL_CHECK(!ds.lazy() && !ds.images.empty(),
            "compute_normalization: needs a non-empty dataset held in memory");
  // Integer sums are exact: 2^64 / 255^2 pixels is far beyond any dataset held in memory.
  uint64_t sum[3] = {0, 0, 0}, sum_sq[3] = {0, 0, 0}, count = 0;
  for (const Image& img : ds.images) {
    const uint8_t* p = img.pixels.data();
    for (size_t i = 0; i < img.pixels.size(); i += 3) {
      for (int c = 0; c < 3; ++c) {
        sum[c] += p[i + c];
        sum_sq[c] += static_cast<uint64_t>(p[i + c]) * p[i + c];
      }
    }
    count += static_cast<uint64_t>(img.height * img.width);
  }
  Normalization norm;
  for (int c = 0; c < 3; ++c) {
    const double mean = static_cast<double>(sum[c]) / count / 255.0;
    const double mean_sq = static_cast<double>(sum_sq[c]) / count / (255.0 * 255.0);
    norm.mean[c] = static_cast<float>(mean);
    norm.std[c] = static_cast<float>(std::sqrt(std::max(std::fma(-mean, mean, mean_sq), 1e-12)));
  }
  return norm;
}

Generator augment_generator(uint64_t seed, int64_t epoch, int64_t index, int view) {
  return Generator(derive_seed(seed, static_cast<uint64_t>(index), static_cast<uint32_t>(epoch),
                               static_cast<uint32_t>(view)));
}

namespace {

class RandomCrop : public ImageOp {
 public:
  RandomCrop(int64_t size, int64_t padding) : size_(size), padding_(padding) {
    BCL_CHECK(size > 0 && padding >= 0, "random_crop: bad size ", size, " or padding ", padding);
  }
  Image apply(const Image& img, Generator& gen) const override {
    const int64_t slack_y = img.height + 2 * padding_ - size_;
    const int64_t slack_x = img.width + 2 * padding_ - size_;
    BCL_CHECK(slack_y >= 0 && slack_x >= 0, name(), ": image ", img.height, "x", img.width,
              " is smaller than the crop (resize it first)");
    int32_t top = 0, left = 0;
    augment::draw_crop(gen, img.height, img.width, size_, padding_, top, left);
    return crop(img, top, left, size_, size_);
  }
  std::string name() const override {
    return detail::cat("random_crop(", size_, padding_ > 0 ? detail::cat(", pad ", padding_) : "",
                       ")");
  }

 private:
  int64_t size_, padding_;
};

class CenterCrop : public ImageOp {
 public:
  explicit CenterCrop(int64_t size) : size_(size) {
    BCL_CHECK(size > 0, "center_crop: bad size ", size);
  }
  Image apply(const Image& img, Generator&) const override {
    BCL_CHECK(img.height >= size_ && img.width >= size_, name(), ": image ", img.height, "x",
              img.width, " is smaller than the crop (resize it first)");
    return crop(img, (img.height - size_) / 2, (img.width - size_) / 2, size_, size_);
  }
  std::string name() const override { return detail::cat("center_crop(", size_, ")"); }

 private:
  int64_t size_;
};

class RandomHorizontalFlip : public ImageOp {
 public:
  explicit RandomHorizontalFlip(double p) : p_(p) {
    BCL_CHECK(p >= 0 && p <= 1, "random_horizontal_flip: probability ", p, " outside [0, 1]");
  }
  Image apply(const Image& img, Generator& gen) const override {
    return gen.next_uniform() < p_ ? hflip(img) : img;
  }
  std::string name() const override { return detail::cat("hflip(", p_, ")"); }

 private:
  double p_;
};

class ResizeShorter : public ImageOp {
 public:
  explicit ResizeShorter(int64_t size) : size_(size) {
    BCL_CHECK(size > 0, "resize_shorter: bad size ", size);
  }
  Image apply(const Image& img, Generator&) const override {
    return resize_shorter_side(img, size_);
  }
  std::string name() const override { return detail::cat("resize_shorter(", size_, ")"); }

 private:
  int64_t size_;
};

class RandomResizedCrop : public ImageOp {
 public:
  RandomResizedCrop(int64_t size, std::array<double, 2> scale, std::array<double, 2> ratio)
      : size_(size), scale_(scale), ratio_(ratio) {
    BCL_CHECK(
        size > 0 && scale[0] > 0 && scale[0] <= scale[1] && ratio[0] > 0 && ratio[0] <= ratio[1],
        "random_resized_crop: bad size ", size, ", scale (", scale[0], ", ", scale[1],
        ") or ratio (", ratio[0], ", ", ratio[1], ")");
  }
  Image apply(const Image& img, Generator& gen) const override {
    const CropBox b = random_resized_crop_box(img.height, img.width, scale_, ratio_, gen);
    return resize_bilinear(crop(img, b.top, b.left, b.height, b.width), size_, size_);
  }
  std::string name() const override {
    return detail::cat("random_resized_crop(", size_, ", scale ", scale_[0], "..", scale_[1], ")");
  }

 private:
  int64_t size_;
  std::array<double, 2> scale_, ratio_;
};

class ColorJitter : public ImageOp {
 public:
  ColorJitter(double b, double c, double s, double h) : b_(b), c_(c), s_(s), h_(h) {
    BCL_CHECK(b >= 0 && c >= 0 && s >= 0 && h >= 0 && h <= 0.5, "color_jitter: bad arguments (", b,
              ", ", c, ", ", s, ", ", h, "): need non-negative values and hue <= 0.5");
  }
  Image apply(const Image& img, Generator& gen) const override {
    return apply_color_jitter(img, draw_color_jitter(b_, c_, s_, h_, gen));
  }
  std::string name() const override {
    return detail::cat("color_jitter(", b_, ", ", c_, ", ", s_, ", ", h_, ")");
  }

 private:
  double b_, c_, s_, h_;
};

class RandomGrayscale : public ImageOp {
 public:
  explicit RandomGrayscale(double p) : p_(p) {
    BCL_CHECK(p >= 0 && p <= 1, "random_grayscale: probability ", p, " outside [0, 1]");
  }
  Image apply(const Image& img, Generator& gen) const override {
    return gen.next_uniform() < p_ ? to_grayscale(img) : img;
  }
  std::string name() const override { return detail::cat("grayscale(", p_, ")"); }

 private:
  double p_;
};

class Sequence : public ImageOp {
 public:
  explicit Sequence(std::vector<ImageOpPtr> ops) : ops_(std::move(ops)) {
    for (const ImageOpPtr& op : ops_) BCL_CHECK(op != nullptr, "sequence: null op");
  }
  Image apply(const Image& img, Generator& gen) const override {
    Image out = img;
    for (const ImageOpPtr& op : ops_) out = op->apply(out, gen);
    return out;
  }
  std::string name() const override {
    std::string s;
    for (size_t i = 0; i < ops_.size(); ++i) s += (i ? " -> " : "") + ops_[i]->name();
    return s;
  }

 private:
  std::vector<ImageOpPtr> ops_;
};

class RandomApply : public ImageOp {
 public:
  RandomApply(std::vector<ImageOpPtr> ops, double p) : ops_(std::move(ops)), p_(p) {
    BCL_CHECK(p >= 0 && p <= 1, "random_apply: probability ", p, " outside [0, 1]");
  }
  Image apply(const Image& img, Generator& gen) const override {
    return gen.next_uniform() < p_ ? ops_.apply(img, gen) : img;
  }
  std::string name() const override { return detail::cat("apply(", p_, ": ", ops_.name(), ")"); }

 private:
  Sequence ops_;
  double p_;
};

class Cutout : public ImageOp {
 public:
  explicit Cutout(int64_t length) : length_(length) {
    BCL_CHECK(length > 0, "cutout: bad length ", length);
  }
  Image apply(const Image& img, Generator& gen) const override {
    BCL_CHECK(img.height > 0 && img.width > 0, name(), ": empty image");
    int32_t r[4];
    augment::draw_cutout(gen, img.height, img.width, length_, r[0], r[1], r[2], r[3]);
    Image out = img;
    for (int64_t y = r[0]; y < r[1]; ++y)
      for (int64_t x = r[2]; x < r[3]; ++x)
        for (int64_t c = 0; c < Image::kChannels; ++c) out.at(y, x, c) = 0;
    return out;
  }
  std::string name() const override { return detail::cat("cutout(", length_, ")"); }

 private:
  int64_t length_;
};

}  // namespace

CropBox random_resized_crop_box(int64_t height, int64_t width, std::array<double, 2> scale,
                                std::array<double, 2> ratio, Generator& gen) {
  BCL_CHECK(height > 0 && width > 0, "random_resized_crop: empty image ", height, "x", width);
  const double log_ratio[2] = {std::log(ratio[0]), std::log(ratio[1])};
  int32_t b[4];
  augment::draw_resized_crop_box(gen, height, width, scale.data(), ratio.data(), log_ratio, b);
  return {b[0], b[1], b[2], b[3]};
}

ColorJitterDraw draw_color_jitter(double brightness, double contrast, double saturation, double hue,
                                  Generator& gen) {
  const double args[4] = {brightness, contrast, saturation, hue};
  augment::Jitter j;
  augment::draw_jitter(gen, args, j);
  ColorJitterDraw d;
  for (int k = 0; k < 4; ++k) {
    d.order[k] = j.order[k];
    d.enabled[k] = (j.enabled >> k) & 1;
  }
  d.brightness = j.brightness;
  d.contrast = j.contrast;
  d.saturation = j.saturation;
  d.hue = j.hue;
  return d;
}

Image apply_color_jitter(const Image& img, const ColorJitterDraw& d) {
  augment::Jitter j;
  j.brightness = d.brightness;
  j.contrast = d.contrast;
  j.saturation = d.saturation;
  j.hue = d.hue;
  Image out = img;
  for (int k : d.order)
    if (d.enabled[static_cast<size_t>(k)]) out = apply_step(out, augment::jitter_step(j, k));
  return out;
}

ImageOpPtr random_resized_crop(int64_t size, std::array<double, 2> scale,
                               std::array<double, 2> ratio) {
  return std::make_shared<RandomResizedCrop>(size, scale, ratio);
}
ImageOpPtr color_jitter(double brightness, double contrast, double saturation, double hue) {
  return std::make_shared<ColorJitter>(brightness, contrast, saturation, hue);
}
ImageOpPtr random_grayscale(double p) {
  return std::make_shared<RandomGrayscale>(p);
}
ImageOpPtr random_apply(std::vector<ImageOpPtr> ops, double p) {
  return std::make_shared<RandomApply>(std::move(ops), p);
}
ImageOpPtr random_apply(ImageOpPtr op, double p) {
  return random_apply(std::vector<ImageOpPtr>{std::move(op)}, p);
}
ImageOpPtr cutout(int64_t length) {
  return std::make_shared<Cutout>(length);
}
ImageOpPtr sequence(std::vector<ImageOpPtr> ops) {
  return std::make_shared<Sequence>(std::move(ops));
}

ImageOpPtr random_crop(int64_t size, int64_t padding) {
  return std::make_shared<RandomCrop>(size, padding);
}
ImageOpPtr center_crop(int64_t size) {
  return std::make_shared<CenterCrop>(size);
}
ImageOpPtr random_horizontal_flip(double p) {
  return std::make_shared<RandomHorizontalFlip>(p);
}
ImageOpPtr resize_shorter(int64_t size) {
  return std::make_shared<ResizeShorter>(size);
}

Image Pipeline::augment(const Image& img, Generator& gen) const {
  if (ops_.empty()) return img;
  Image out = ops_.front()->apply(img, gen);
  for (size_t i = 1; i < ops_.size(); ++i) out = ops_[i]->apply(out, gen);
  return out;
}

void Pipeline::normalize(const Image& img, float* out) const {
  // (v / 255 - mean) / std = v * scale + shift
  const augment::ChannelNorm n = augment::channel_norm(norm_.mean.data(), norm_.std.data());
  const int64_t plane = img.height * img.width;
  for (int c = 0; c < Image::kChannels; ++c)
    for (int64_t p = 0; p < plane; ++p)
      out[c * plane + p] =
          augment::normalize_value(img.pixels[static_cast<size_t>(p * 3 + c)], n, c);
}

std::string Pipeline::describe() const {
  std::string s;
  for (const ImageOpPtr& op : ops_) s += op->name() + " -> ";
  return s + "normalize";
}

Pipeline cifar_train_pipeline(const Normalization& norm, int64_t size, int64_t padding) {
  return Pipeline({random_crop(size, padding), random_horizontal_flip(0.5)}, norm);
}

Pipeline plain_pipeline(const Normalization& norm) {
  return Pipeline({}, norm);
}

Pipeline large_image_train_pipeline(const Normalization& norm, int64_t size) {
  return Pipeline({resize_shorter(size * 8 / 7), random_crop(size), random_horizontal_flip(0.5)},
                  norm);
}

Pipeline large_image_eval_pipeline(const Normalization& norm, int64_t size) {
  return Pipeline({resize_shorter(size * 8 / 7), center_crop(size)}, norm);
}

}  // namespace bcl::data

namespace bcl::data {

namespace {

std::vector<ImageOpPtr> sim_ops(int64_t size) {
  return {random_resized_crop(size, {0.2, 1.0}), random_horizontal_flip(0.5),
          random_apply(color_jitter(0.4, 0.4, 0.4, 0.1), 0.8), random_grayscale(0.2)};
}

ImageOpPtr bcl_rand_augment(std::array<uint8_t, 3> fill) {
  RandAugmentOptions o;  // rand-n2-m10-mstd0.5
  o.num_ops = 2;
  o.magnitude = 10;
  o.magnitude_std = 0.5;
  o.fill = fill;
  return rand_augment(o);
}

}  // namespace

Pipeline sim_pipeline(const Normalization& norm, int64_t size) {
  return Pipeline(sim_ops(size), norm);
}

Pipeline rand_pipeline(const Normalization& norm, int64_t size, std::array<uint8_t, 3> fill) {
  std::vector<ImageOpPtr> ops = sim_ops(size);
  ops.push_back(bcl_rand_augment(fill));
  return Pipeline(std::move(ops), norm);
}

Pipeline ce_pipeline(const std::string& ce_aug, const Normalization& norm, int64_t size,
                     std::array<uint8_t, 3> fill, bool large_images) {
  BCL_CHECK(ce_aug == "crop-flip" || ce_aug == "autoaug-cutout" || ce_aug == "randaug",
            "ce augmentation '", ce_aug, "': expected crop-flip, autoaug-cutout or randaug");
  BCL_CHECK(size > 0, "ce augmentation: bad image size ", size);
  std::vector<ImageOpPtr> ops;
  if (large_images) ops.push_back(resize_shorter(size * 8 / 7));
  ops.push_back(random_crop(size, large_images ? 0 : size / 8));
  ops.push_back(random_horizontal_flip(0.5));
  if (ce_aug == "autoaug-cutout") {
    ops.push_back(cifar10_auto_augment());
    ops.push_back(cutout(size / 2));
  } else if (ce_aug == "randaug") {
    ops.push_back(bcl_rand_augment(fill));
  }
  return Pipeline(std::move(ops), norm);
}

MultiViewTransform bcl_train_transform(const std::string& ce_aug, const std::string& cl_views,
                                       const Normalization& norm, int64_t size,
                                       std::array<uint8_t, 3> fill, bool large_images) {
  BCL_CHECK(cl_views == "sim-sim" || cl_views == "sim-rand" || cl_views == "rand-rand",
            "contrastive views '", cl_views, "': expected sim-sim, sim-rand or rand-rand");
  MultiViewTransform t;
  t.views.push_back(ce_pipeline(ce_aug, norm, size, fill, large_images));
  const bool first_rand = cl_views != "sim-sim", second_rand = cl_views == "rand-rand";
  t.views.push_back(first_rand ? rand_pipeline(norm, size, fill) : sim_pipeline(norm, size));
  t.views.push_back(second_rand ? rand_pipeline(norm, size, fill) : sim_pipeline(norm, size));
  return t;
}

std::array<uint8_t, 3> mean_fill_colour(const Normalization& norm) {
  std::array<uint8_t, 3> fill{};
  for (int c = 0; c < 3; ++c) {
    // Python's round(): half to even.
    const double v = std::nearbyint(255.0 * static_cast<double>(norm.mean[c]));
    fill[c] = static_cast<uint8_t>(std::clamp(v, 0.0, 255.0));
  }
  return fill;
}

Image augmentation_grid(const std::vector<Image>& images, const std::vector<int64_t>& indices,
                        const MultiViewTransform& transform, uint64_t seed, int64_t zoom,
                        int64_t gap) {
  BCL_CHECK(!images.empty() && images.size() == indices.size(),
            "augmentation_grid: need one index per image and at least one image");
  BCL_CHECK(zoom >= 1 && gap >= 0, "augmentation_grid: bad zoom ", zoom, " or gap ", gap);
  // Cells: the image and its views, row by row.
  std::vector<std::vector<Image>> rows;
  int64_t cell_h = 0, cell_w = 0;
  for (size_t r = 0; r < images.size(); ++r) {
    std::vector<Image> row(1);
    for (int v = 0; v < transform.num_views(); ++v) {
      Generator gen = augment_generator(seed, 0, indices[r], v);
      row.push_back(transform.views[static_cast<size_t>(v)].augment(images[r], gen));
      cell_h = std::max(cell_h, row.back().height);
      cell_w = std::max(cell_w, row.back().width);
    }
    rows.push_back(std::move(row));
  }
  if (cell_h == 0) {  // no views: the images alone
    for (const Image& img : images) {
      cell_h = std::max(cell_h, img.height);
      cell_w = std::max(cell_w, img.width);
    }
  }
  for (size_t r = 0; r < images.size(); ++r) {
    const Image& img = images[r];
    if (img.height == cell_h && img.width == cell_w) {
      rows[r][0] = img;
    } else {  // shorter side to the cell, then the centre
      const Image scaled = resize_shorter_side(img, std::min(cell_h, cell_w));
      rows[r][0] =
          crop(scaled, (scaled.height - cell_h) / 2, (scaled.width - cell_w) / 2, cell_h, cell_w);
    }
  }
  const auto cols = static_cast<int64_t>(rows[0].size());
  const auto n_rows = static_cast<int64_t>(rows.size());
  Image grid(n_rows * (cell_h * zoom + gap) + gap, cols * (cell_w * zoom + gap) + gap);
  std::fill(grid.pixels.begin(), grid.pixels.end(), 128);
  for (int64_t r = 0; r < n_rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) {
      const Image& cell = rows[static_cast<size_t>(r)][static_cast<size_t>(c)];
      const int64_t top = gap + r * (cell_h * zoom + gap), left = gap + c * (cell_w * zoom + gap);
      for (int64_t y = 0; y < cell.height * zoom; ++y)
        for (int64_t x = 0; x < cell.width * zoom; ++x)
          for (int64_t ch = 0; ch < Image::kChannels; ++ch)
            grid.at(top + y, left + x, ch) = cell.at(y / zoom, x / zoom, ch);
    }
  }
  return grid;
}

}  // namespace bcl::data
