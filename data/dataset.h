// Datasets: labelled images, held decoded in memory or as files decoded on demand.
//
// Small images (CIFAR: 60,000 x 32x32x3 = 184 MB) are decoded once, when the dataset is read, so an
// epoch costs no decoding. Large images (ImageNet-LT: 115,846 photos of ~400x350) would not fit, so
// list-file datasets keep the paths and the loader's worker threads decode each image when its
// batch is built (`lazy()`), resizing and cropping it in the transform.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace bcl::data {

// An 8-bit RGB image stored HWC (interleaved, row-major): pixel (y, x) channel c is
// pixels[(y * width + x) * 3 + c]. HWC is the order decoders produce and crops and flips move whole
// pixels in; the loader converts to the CHW float layout the network takes when it normalises.
struct Image {
  static constexpr int64_t kChannels = 3;
  int64_t height = 0, width = 0;
  std::vector<uint8_t> pixels;

  Image() = default;
  Image(int64_t h, int64_t w) : height(h), width(w), pixels(static_cast<size_t>(h * w * 3), 0) {}
  uint8_t& at(int64_t y, int64_t x, int64_t c) {
    return pixels[static_cast<size_t>((y * width + x) * kChannels + c)];
  }
  uint8_t at(int64_t y, int64_t x, int64_t c) const {
    return pixels[static_cast<size_t>((y * width + x) * kChannels + c)];
  }
};

struct Dataset {
  std::vector<std::string> class_names;  // label i is class_names[i]
  std::vector<int64_t> labels;           // one per sample, in [0, num_classes())
  // Exactly one of the two is filled: decoded images, or image files decoded by image().
  std::vector<Image> images;
  std::vector<std::string> files;

  int64_t size() const { return static_cast<int64_t>(labels.size()); }
  int64_t num_classes() const { return static_cast<int64_t>(class_names.size()); }
  bool lazy() const { return !files.empty(); }

  // Sample i's image: a copy of the decoded one, or the file decoded now (safe to call from several
  // threads at once; a bad file throws bcl::Error naming it).
  Image image(int64_t i) const;
  // Number of samples of each class.
  std::vector<int64_t> class_counts() const;
  // The samples at `indices`, in that order, with the same classes.
  Dataset subset(const std::vector<int64_t>& indices) const;
  // Throws bcl::Error (prefixed with `what`) unless the sizes agree and every label is in range.
  void validate(const std::string& what) const;
};

}  // namespace bcl::data
