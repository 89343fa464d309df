#include "data/augment.h"

#include <algorithm>
#include <cmath>

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
    norm.std[c] = static_cast<float>(std::sqrt(std::max(mean_sq - mean * mean, 1e-12)));
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
    const auto top = static_cast<int64_t>(random_below(gen, static_cast<uint64_t>(slack_y) + 1));
    const auto left = static_cast<int64_t>(random_below(gen, static_cast<uint64_t>(slack_x) + 1));
    return crop(img, top - padding_, left - padding_, size_, size_);
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

}  // namespace

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
  const int64_t plane = img.height * img.width;
  for (int64_t c = 0; c < Image::kChannels; ++c) {
    // (v / 255 - mean) / std = v * scale + shift
    const float scale = 1.f / (255.f * norm_.std[c]);
    const float shift = -norm_.mean[c] / norm_.std[c];
    float* dst = out + c * plane;
    for (int64_t p = 0; p < plane; ++p) {
      dst[p] = img.pixels[static_cast<size_t>(p * Image::kChannels + c)] * scale + shift;
    }
  }
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
