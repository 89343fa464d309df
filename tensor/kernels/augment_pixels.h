// Per-pixel math of the batched augmentations, shared by the CPU twin (augment_batch.cpp) and the
// CUDA kernels (augment_batch.cu): the bilinear resampling of data/image_ops.cpp and the PIL-exact
// colour operations of data/color_ops.cpp, on one pixel at a time, written so that both compilers
// round every step alike (see augment_params.h).
#pragma once

#include <cstdint>

#include "tensor/kernels/augment_params.h"

namespace bcl::augment {

BCL_HOST_DEVICE inline double floor_d(double x) {
#ifdef __CUDA_ARCH__
  return ::floor(x);
#else
  return std::floor(x);
#endif
}
BCL_HOST_DEVICE inline double fmod_d(double x, double y) {
#ifdef __CUDA_ARCH__
  return ::fmod(x, y);
#else
  return std::fmod(x, y);
#endif
}
// Half away from zero (std::round, std::lround).
BCL_HOST_DEVICE inline double round_away(double x) {
#ifdef __CUDA_ARCH__
  return ::round(x);
#else
  return std::round(x);
#endif
}
BCL_HOST_DEVICE inline float round_away(float x) {
#ifdef __CUDA_ARCH__
  return ::roundf(x);
#else
  return std::round(x);
#endif
}

// PIL's CLIP8.
BCL_HOST_DEVICE inline uint8_t clip8(int v) {
  return static_cast<uint8_t>(v <= 0 ? 0 : v < 256 ? v : 255);
}
// A float truncated toward zero and clamped to [0, 255] (Image.blend's store).
BCL_HOST_DEVICE inline uint8_t clip8_float(float v) {
  if (v <= 0.f) return 0;
  if (v >= 255.f) return 255;
  return static_cast<uint8_t>(v);
}

// ITU-R 601-2 luma in 16.16 fixed point, rounded (color_ops' luma).
BCL_HOST_DEVICE inline uint8_t luma(uint8_t r, uint8_t g, uint8_t b) {
  const uint32_t l = 19595u * r + 38470u * g + 7471u * b + 0x8000u;
  return static_cast<uint8_t>(l >> 16);
}

// Image.blend of one value: a + alpha (b - a) in float, truncated and clamped (color_ops'
// blend_value; alpha 0 and 1 give a and b exactly, as PIL's shortcuts do).
BCL_HOST_DEVICE inline uint8_t blend_value(uint8_t a, uint8_t b, float alpha) {
  return clip8_float(static_cast<float>(a) +
                     mul_rn(alpha, static_cast<float>(static_cast<int>(b) - a)));
}

// color_ops' rgb_to_hsv and hsv_to_rgb: colorsys's formulas in PIL's mix of float and double.
BCL_HOST_DEVICE inline void rgb_to_hsv(uint8_t r, uint8_t g, uint8_t b, uint8_t (&hsv)[3]) {
  const uint8_t maxc = r > g ? (r > b ? r : b) : (g > b ? g : b);
  const uint8_t minc = r < g ? (r < b ? r : b) : (g < b ? g : b);
  if (maxc == minc) {
    hsv[0] = 0;
    hsv[1] = 0;
    hsv[2] = maxc;
    return;
  }
  const float cr = static_cast<float>(maxc - minc);
  const float s = cr / static_cast<float>(maxc);
  const float rc = static_cast<float>(maxc - r) / cr;
  const float gc = static_cast<float>(maxc - g) / cr;
  const float bc = static_cast<float>(maxc - b) / cr;
  float h;
  if (r == maxc) {
    h = bc - gc;
  } else if (g == maxc) {
    h = static_cast<float>(2.0 + rc - bc);
  } else {
    h = static_cast<float>(4.0 + gc - rc);
  }
  h = static_cast<float>(fmod_d(h / 6.0 + 1.0, 1.0));
  hsv[0] = clip8(static_cast<int>(mul_rn(static_cast<double>(h), 255.0)));
  hsv[1] = clip8(static_cast<int>(mul_rn(static_cast<double>(s), 255.0)));
  hsv[2] = maxc;
}

BCL_HOST_DEVICE inline void hsv_to_rgb(uint8_t h, uint8_t s, uint8_t v, uint8_t (&rgb)[3]) {
  if (s == 0) {
    rgb[0] = rgb[1] = rgb[2] = v;
    return;
  }
  const double h6 = mul_rn(static_cast<double>(h), 6.0) / 255.0;
  const int i = static_cast<int>(floor_d(h6));
  const auto f = static_cast<float>(h6 - static_cast<double>(static_cast<float>(i)));
  const auto fs = static_cast<float>(static_cast<double>(s) / 255.0);
  const auto vd = static_cast<double>(v);
  const uint8_t p = clip8(static_cast<int>(round_away(mul_rn(vd, 1.0 - fs))));
  const uint8_t q =
      clip8(static_cast<int>(round_away(mul_rn(vd, 1.0 - static_cast<double>(mul_rn(fs, f))))));
  const uint8_t t = clip8(
      static_cast<int>(round_away(mul_rn(vd, 1.0 - mul_rn(static_cast<double>(fs), 1.0 - f)))));
  uint8_t r = v, g = p, b = q;  // sector 5
  switch (i % 6) {
    case 0:
      r = v, g = t, b = p;
      break;
    case 1:
      r = q, g = v, b = p;
      break;
    case 2:
      r = p, g = v, b = t;
      break;
    case 3:
      r = p, g = q, b = v;
      break;
    case 4:
      r = t, g = p, b = v;
      break;
    default:
      break;
  }
  rgb[0] = r;
  rgb[1] = g;
  rgb[2] = b;
}

// adjust_hue's shift: numpy's uint8(hue_factor * 255), truncated toward zero, modulo 256.
BCL_HOST_DEVICE inline uint8_t hue_shift(double hue_factor) {
  return static_cast<uint8_t>(static_cast<int>(mul_rn(hue_factor, 255.0)) & 0xFF);
}

// The mean luma PIL's ImageEnhance.Contrast blends toward: int(sum / count + 0.5).
BCL_HOST_DEVICE inline uint8_t contrast_mean(uint64_t luma_sum, int64_t count) {
  const auto n = static_cast<double>(count);
  return static_cast<uint8_t>(count > 0 ? static_cast<int>(static_cast<double>(luma_sum) / n + 0.5)
                                        : 0);
}

// One colour-jitter step on one pixel (px: RGB, in place). Contrast needs the image's mean luma at
// that point of the sequence, which the caller computes (contrast_mean).
BCL_HOST_DEVICE inline void jitter_pixel(int32_t step, const SimParams& p, uint8_t mean,
                                         uint8_t shift, uint8_t* px) {
  switch (step) {
    case kBrightness: {
      const auto alpha = static_cast<float>(p.brightness);
      for (int c = 0; c < 3; ++c) px[c] = blend_value(0, px[c], alpha);
      break;
    }
    case kContrast: {
      const auto alpha = static_cast<float>(p.contrast);
      for (int c = 0; c < 3; ++c) px[c] = blend_value(mean, px[c], alpha);
      break;
    }
    case kSaturation: {
      const auto alpha = static_cast<float>(p.saturation);
      const uint8_t l = luma(px[0], px[1], px[2]);
      for (int c = 0; c < 3; ++c) px[c] = blend_value(l, px[c], alpha);
      break;
    }
    default: {
      uint8_t hsv[3], rgb[3];
      rgb_to_hsv(px[0], px[1], px[2], hsv);
      hsv_to_rgb(static_cast<uint8_t>(hsv[0] + shift), hsv[1], hsv[2], rgb);
      for (int c = 0; c < 3; ++c) px[c] = rgb[c];
      break;
    }
  }
}

BCL_HOST_DEVICE inline void grayscale_pixel(uint8_t* px) {
  px[0] = px[1] = px[2] = luma(px[0], px[1], px[2]);
}

// One coordinate's bilinear taps (image_ops' bilinear_taps): the source position
// (o + 0.5) in / out - 0.5 clamped to [0, in - 1], its two neighbours and the second's weight. The
// position is one fused multiply-add, as g++ -O3 -march=native compiles image_ops.cpp.
struct Tap {
  int32_t lo, hi;
  float w;
};
BCL_HOST_DEVICE inline Tap bilinear_tap(int64_t o, int64_t in_size, int64_t out_size) {
  const double scale = static_cast<double>(in_size) / static_cast<double>(out_size);
  double src = fma_rn(static_cast<double>(o) + 0.5, scale, -0.5);
  const auto last = static_cast<double>(in_size - 1);
  src = src < 0.0 ? 0.0 : src > last ? last : src;
  Tap t;
  const auto lo = static_cast<int64_t>(floor_d(src));
  t.lo = static_cast<int32_t>(lo);
  t.hi = static_cast<int32_t>(lo + 1 < in_size - 1 ? lo + 1 : in_size - 1);
  t.w = static_cast<float>(src - static_cast<double>(lo));
  return t;
}

// resize_bilinear's value at taps (ty, tx) of channel c in an HWC image of row length `width`:
//   top = a (1 - wx) + b wx, bottom likewise, v = top (1 - wy) + bottom wy, rounded half away
// from zero and clamped; each sum is fused with its first product, as g++ compiles image_ops.cpp.
// (For output sides that are powers of two every weight is a multiple of 1 / (2 out) and every
// step exact, so the fusing makes no difference there.)
BCL_HOST_DEVICE inline uint8_t bilinear_value(const uint8_t* img, int64_t width, Tap ty, Tap tx,
                                              int c) {
  auto at = [&](int32_t y, int32_t x) {
    return static_cast<float>(img[(static_cast<int64_t>(y) * width + x) * 3 + c]);
  };
  const float top = fma_rn(at(ty.lo, tx.lo), 1 - tx.w, mul_rn(at(ty.lo, tx.hi), tx.w));
  const float bottom = fma_rn(at(ty.hi, tx.lo), 1 - tx.w, mul_rn(at(ty.hi, tx.hi), tx.w));
  const float v = fma_rn(top, 1 - ty.w, mul_rn(bottom, ty.w));
  const float r = round_away(v);
  return static_cast<uint8_t>(r <= 0.f ? 0.f : r >= 255.f ? 255.f : r);
}

BCL_HOST_DEVICE inline float normalize_value(uint8_t v, const ChannelNorm& n, int c) {
  return fma_rn(static_cast<float>(v), n.scale[c], n.shift[c]);
}

}  // namespace bcl::augment
