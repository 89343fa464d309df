// Deterministic geometry on RGB images: the building blocks of the random augmentations.
#pragma once

#include <cstdint>

#include "data/dataset.h"

namespace bcl::data {

// The height x width window whose top-left corner is (top, left) in img's coordinates. The window
// may extend past the image (negative top/left included); pixels outside it are 0, which is how a
// crop of a zero-padded image is taken without building the padded image.
Image crop(const Image& img, int64_t top, int64_t left, int64_t height, int64_t width);

// Mirror left-right.
Image hflip(const Image& img);

// Bilinear resampling to height x width with pixel centres aligned (align_corners = false, as
// torch.nn.functional.interpolate and OpenCV): output pixel (y, x) samples the input at
// ((y + 0.5) * H / height - 0.5, (x + 0.5) * W / width - 0.5), clamped to the border.
Image resize_bilinear(const Image& img, int64_t height, int64_t width);

// Scales so that the shorter side becomes `size`, keeping the aspect ratio (the longer side is
// rounded to the nearest pixel).
Image resize_shorter_side(const Image& img, int64_t size);

}  // namespace bcl::data
