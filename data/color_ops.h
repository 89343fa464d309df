// Deterministic colour and tone operations on 8-bit RGB images, with PIL's integer semantics.
//
// The augmentations of the BCL and AutoAugment code run on PIL images (torchvision's ColorJitter
// and RandomGrayscale call PIL's ImageEnhance and Image.convert; AutoAugment and RandAugment call
// ImageOps and ImageEnhance), so these functions reproduce what PIL computes on uint8 data: the
// same fixed-point grayscale, the same truncation when blending, the same 8-bit HSV round trip.
// The formulas are in data/augment_pixels.h, which the batched kernels share.
#pragma once

#include <array>
#include <cstdint>

#include "data/augment_pixels.h"
#include "data/dataset.h"

namespace bcl::data {

// ITU-R 601-2 luma L = R * 299/1000 + G * 587/1000 + B * 114/1000, as PIL's convert("L") computes
// it: in 16.16 fixed point, rounded, (19595 R + 38470 G + 7471 B + 2^15) >> 16.
uint8_t luma(uint8_t r, uint8_t g, uint8_t b);
// The image as grayscale, L copied into all three channels (convert("L").convert("RGB")).
Image to_grayscale(const Image& img);

// PIL's Image.blend(a, b, alpha): a + alpha * (b - a) per value, in single precision, truncated
// toward zero, and clamped to [0, 255] when alpha lies outside [0, 1].
uint8_t blend_value(uint8_t a, uint8_t b, float alpha);
Image blend(const Image& a, const Image& b, float alpha);

// PIL's ImageEnhance, each a blend of a "degenerate" image into the image by `factor` (1: the image
// itself, 0: the degenerate image, > 1 extrapolates away from it):
//   brightness  degenerate = black
//   contrast    degenerate = the mean of the grayscale image, rounded, everywhere
//   saturation  degenerate = the grayscale image (ImageEnhance.Color)
//   sharpness   degenerate = the image smoothed by PIL's SMOOTH filter (smooth3x3 below)
Image adjust_brightness(const Image& img, double factor);
Image adjust_contrast(const Image& img, double factor);
Image adjust_saturation(const Image& img, double factor);
Image adjust_sharpness(const Image& img, double factor);

// PIL's 8-bit HSV (convert("HSV") and back): h, s, v all in [0, 255].
std::array<uint8_t, 3> rgb_to_hsv(uint8_t r, uint8_t g, uint8_t b);
std::array<uint8_t, 3> hsv_to_rgb(uint8_t h, uint8_t s, uint8_t v);
// torchvision's adjust_hue on a PIL image, hue_factor in [-0.5, 0.5]: to HSV, H += hue_factor * 255
// (truncated toward zero, wrapping modulo 256), back to RGB. The 8-bit round trip changes the image
// slightly even when the shift is 0.
Image adjust_hue(const Image& img, double hue_factor);

// PIL's SMOOTH filter: the 3x3 kernel [1 1 1; 1 5 1; 1 1 1] / 13, rounded; the border rows and
// columns are copied unchanged.
Image smooth3x3(const Image& img);

// ImageOps, per channel through a 256-entry table:
//   posterize(bits)        v & ~(2^(8 - bits) - 1), bits in [0, 8]
//   solarize(threshold)    v < threshold ? v : 255 - v
//   solarize_add(add, t)   v < t ? min(255, v + add) : v   (timm)
//   invert                 255 - v
Image posterize(const Image& img, int bits);
Image solarize(const Image& img, double threshold);
Image solarize_add(const Image& img, int add, int threshold = 128);
Image invert(const Image& img);
// ImageOps.autocontrast (cutoff 0): each channel's [lo, hi] is stretched to [0, 255],
// v -> clamp(int(v * 255 / (hi - lo) - lo * 255 / (hi - lo))); a channel with hi <= lo is
// unchanged.
Image autocontrast(const Image& img);
// ImageOps.equalize: each channel mapped through its cumulative histogram (details in the .cpp).
Image equalize(const Image& img);

// Applies a 256-entry table to every value (all channels).
Image apply_lut(const Image& img, const std::array<uint8_t, 256>& lut);

// One step of augment_pixels.h on the whole image (what the ops above and auto_augment.h's run).
Image apply_step(const Image& img, const augment::StepSpec& step);

}  // namespace bcl::data
