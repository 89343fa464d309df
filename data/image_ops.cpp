#include "data/image_ops.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "data/augment_pixels.h"
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
  for (int64_t y = 0; y < img.height; ++y)
    for (int64_t x = 0; x < img.width; ++x)
      augment::crop_pixel(img.pixels.data(), img.height, img.width, 0, 0, true, img.width, y, x,
                          &out.at(y, x, 0));
  return out;
}

// augment_pixels.h's taps and values (the sim view's resize on the batched path too).
Image resize_bilinear(const Image& img, int64_t height, int64_t width) {
  BCL_CHECK(height > 0 && width > 0 && img.height > 0 && img.width > 0, "resize: cannot resize ",
            img.height, "x", img.width, " to ", height, "x", width);
  std::vector<augment::Tap> ty, tx;
  for (int64_t y = 0; y < height; ++y) ty.push_back(augment::bilinear_tap(y, img.height, height));
  for (int64_t x = 0; x < width; ++x) tx.push_back(augment::bilinear_tap(x, img.width, width));
  Image out(height, width);
  for (int64_t y = 0; y < height; ++y)
    for (int64_t x = 0; x < width; ++x)
      for (int c = 0; c < 3; ++c)
        out.at(y, x, c) =
            augment::bilinear_value(img.pixels.data(), img.width, ty[static_cast<size_t>(y)],
                                    tx[static_cast<size_t>(x)], c);
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
