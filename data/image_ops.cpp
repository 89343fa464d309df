#include "data/image_ops.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "tensor/error.h"

namespace bcl::data {

Image crop(const Image& img, int64_t top, int64_t left, int64_t height, int64_t width) {
  BCL_CHECK(height > 0 && width > 0, "crop: empty window ", height, "x", width);
  Image out(height, width);  // zero-filled
  // The rows and columns of the window that fall inside the image.
  const int64_t y0 = std::max<int64_t>(0, -top), y1 = std::min(height, img.height - top);
  const int64_t x0 = std::max<int64_t>(0, -left), x1 = std::min(width, img.width - left);
  if (x1 <= x0) return out;
  const int64_t c = Image::kChannels;
  for (int64_t y = y0; y < y1; ++y) {
    std::memcpy(out.pixels.data() + (y * width + x0) * c,
                img.pixels.data() + ((y + top) * img.width + x0 + left) * c,
                static_cast<size_t>((x1 - x0) * c));
  }
  return out;
}

Image hflip(const Image& img) {
  Image out(img.height, img.width);
  for (int64_t y = 0; y < img.height; ++y) {
    for (int64_t x = 0; x < img.width; ++x) {
      for (int64_t c = 0; c < Image::kChannels; ++c) {
        out.at(y, x, c) = img.at(y, img.width - 1 - x, c);
      }
    }
  }
  return out;
}

namespace {

// For each output coordinate, the two input coordinates it blends and the weight of the second.
struct Taps {
  std::vector<int64_t> lo, hi;
  std::vector<float> w;
};

Taps bilinear_taps(int64_t in_size, int64_t out_size) {
  Taps t;
  const double scale = static_cast<double>(in_size) / static_cast<double>(out_size);
  for (int64_t o = 0; o < out_size; ++o) {
    const double src = std::clamp((o + 0.5) * scale - 0.5, 0.0, static_cast<double>(in_size - 1));
    const auto lo = static_cast<int64_t>(std::floor(src));
    t.lo.push_back(lo);
    t.hi.push_back(std::min(lo + 1, in_size - 1));
    t.w.push_back(static_cast<float>(src - static_cast<double>(lo)));
  }
  return t;
}

}  // namespace

Image resize_bilinear(const Image& img, int64_t height, int64_t width) {
  BCL_CHECK(height > 0 && width > 0 && img.height > 0 && img.width > 0, "resize: cannot resize ",
            img.height, "x", img.width, " to ", height, "x", width);
  const Taps ty = bilinear_taps(img.height, height), tx = bilinear_taps(img.width, width);
  Image out(height, width);
  for (int64_t y = 0; y < height; ++y) {
    const size_t iy = static_cast<size_t>(y);
    for (int64_t x = 0; x < width; ++x) {
      const size_t ix = static_cast<size_t>(x);
      for (int64_t c = 0; c < Image::kChannels; ++c) {
        const float top = img.at(ty.lo[iy], tx.lo[ix], c) * (1 - tx.w[ix]) +
                          img.at(ty.lo[iy], tx.hi[ix], c) * tx.w[ix];
        const float bottom = img.at(ty.hi[iy], tx.lo[ix], c) * (1 - tx.w[ix]) +
                             img.at(ty.hi[iy], tx.hi[ix], c) * tx.w[ix];
        const float v = top * (1 - ty.w[iy]) + bottom * ty.w[iy];
        out.at(y, x, c) = static_cast<uint8_t>(std::clamp(std::lround(v), 0L, 255L));
      }
    }
  }
  return out;
}

Image resize_shorter_side(const Image& img, int64_t size) {
  BCL_CHECK(size > 0, "resize_shorter_side: size ", size, " must be positive");
  const double scale =
      static_cast<double>(size) / static_cast<double>(std::min(img.height, img.width));
  const auto h = img.height <= img.width ? size : std::llround(img.height * scale);
  const auto w = img.height <= img.width ? std::llround(img.width * scale) : size;
  return resize_bilinear(img, h, w);
}

}  // namespace bcl::data
