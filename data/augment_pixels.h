// The pixels of every augmentation, written once as plain C++ that g++ and nvcc both compile: PIL's
// colour, tone and affine operations (the BCL and AutoAugment code run on PIL images), the bilinear
// resize, crops, normalisation, and run_step, which applies one step to a whole uint8 HWC image.
// The CPU loader's ops (data/color_ops.cpp, auto_augment.cpp, image_ops.cpp, augment.cpp) run it
// with a SerialLoop over one image; the batched kernels (data/augment_batch.*) with a SerialLoop
// per sample on the CPU and a CUDA block per sample on the GPU. Rounding as augment_draws.h says:
// fma() where PIL's or torchvision's build fuses, a separate rounding everywhere else.
#pragma once

#include <cstdint>
#include <vector>

#include "data/augment_draws.h"

namespace bcl::augment {

// PIL's CLIP8.
BCL_HOST_DEVICE inline uint8_t clip8(int v) {
  return static_cast<uint8_t>(v <= 0 ? 0 : v < 256 ? v : 255);
}
// A float truncated toward zero and clamped to [0, 255], as PIL's filters and Image.blend store.
BCL_HOST_DEVICE inline uint8_t clip8_float(float v) {
  return v <= 0.f ? 0 : v >= 255.f ? 255 : static_cast<uint8_t>(v);
}

// ITU-R 601-2 luma as PIL's convert("L"): 19595 / 65536 = 0.298996, 38470 / 65536 = 0.587006,
// 7471 / 65536 = 0.113998 (summing to exactly 65536, so white stays 255); + 2^15 rounds.
BCL_HOST_DEVICE inline uint8_t luma(uint8_t r, uint8_t g, uint8_t b) {
  return static_cast<uint8_t>((19595u * r + 38470u * g + 7471u * b + 0x8000u) >> 16);
}

// Image.blend of one value: a + alpha (b - a) in float, truncated and clamped. Alpha 0 and 1 give a
// and b exactly, as PIL's shortcuts do.
BCL_HOST_DEVICE inline uint8_t blend_value(uint8_t a, uint8_t b, float alpha) {
  return clip8_float(static_cast<float>(a) + alpha * static_cast<float>(static_cast<int>(b) - a));
}

// PIL's 8-bit HSV, colorsys's formulas in PIL's mix of float and double: V = max,
// S = (max - min) / max, H = sector offset + (distance terms) / 6 wrapped into [0, 1), each
// scaled by 255 and truncated.
BCL_HOST_DEVICE inline void rgb_to_hsv(uint8_t r, uint8_t g, uint8_t b, uint8_t* hsv) {
  const uint8_t maxc = r > g ? (r > b ? r : b) : (g > b ? g : b);
  const uint8_t minc = r < g ? (r < b ? r : b) : (g < b ? g : b);
  hsv[2] = maxc;
  if (maxc == minc) {
    hsv[0] = hsv[1] = 0;
    return;
  }
  const float cr = static_cast<float>(maxc - minc);
  const float s = cr / static_cast<float>(maxc);
  const float rc = static_cast<float>(maxc - r) / cr, gc = static_cast<float>(maxc - g) / cr,
              bc = static_cast<float>(maxc - b) / cr;
  float h = r == maxc   ? bc - gc
            : g == maxc ? static_cast<float>(2.0 + rc - bc)
                        : static_cast<float>(4.0 + gc - rc);
  h = static_cast<float>(::fmod(h / 6.0 + 1.0, 1.0));
  hsv[0] = clip8(static_cast<int>(static_cast<double>(h) * 255.0));
  hsv[1] = clip8(static_cast<int>(static_cast<double>(s) * 255.0));
}
// Sector i = floor(6 H / 255), fraction f within it; p = V (1 - S), q = V (1 - S f),
// t = V (1 - S (1 - f)), each rounded half away from zero; the sector picks the RGB order.
BCL_HOST_DEVICE inline void hsv_to_rgb(uint8_t h, uint8_t s, uint8_t v, uint8_t* rgb) {
  if (s == 0) {
    rgb[0] = rgb[1] = rgb[2] = v;
    return;
  }
  const double h6 = static_cast<double>(h) * 6.0 / 255.0;
  const int i = static_cast<int>(::floor(h6));
  const auto f = static_cast<float>(h6 - static_cast<double>(static_cast<float>(i)));
  const auto fs = static_cast<float>(static_cast<double>(s) / 255.0);
  const auto vd = static_cast<double>(v);
  const uint8_t p = clip8(static_cast<int>(::round(vd * (1.0 - fs))));
  const uint8_t q = clip8(static_cast<int>(::round(vd * (1.0 - static_cast<double>(fs * f)))));
  const uint8_t t =
      clip8(static_cast<int>(::round(vd * (1.0 - static_cast<double>(fs) * (1.0 - f)))));
  const uint8_t order[6][3] = {{v, t, p}, {q, v, p}, {p, v, t}, {p, q, v}, {t, p, v}, {v, p, q}};
  for (int c = 0; c < 3; ++c) rgb[c] = order[i % 6][c];
}
// torchvision's adjust_hue shift: numpy's uint8(hue_factor * 255), truncated toward zero, then
// modulo 256, so a negative shift wraps (-0.1 -> -25 -> 231) around the hue circle.
BCL_HOST_DEVICE inline uint8_t hue_shift(double hue_factor) {
  return static_cast<uint8_t>(static_cast<int>(hue_factor * 255.0) & 0xFF);
}
// The mean luma ImageEnhance.Contrast blends toward: int(sum / count + 0.5).
BCL_HOST_DEVICE inline uint8_t contrast_mean(uint64_t luma_sum, int64_t count) {
  return static_cast<uint8_t>(
      count > 0 ? static_cast<int>(static_cast<double>(luma_sum) / static_cast<double>(count) + 0.5)
                : 0);
}

BCL_HOST_DEVICE inline float normalize_value(uint8_t v, const ChannelNorm& n, int c) {
  return ::fmaf(static_cast<float>(v), n.scale[c], n.shift[c]);
}

// ---- Crops and the bilinear resize -------------------------------------------------------------

// Pixel (y, x) of the out_w wide window at (top, left) of an h x w image, mirrored when flip
// (column x reads window column out_w - 1 - x); 0 outside the image.
BCL_HOST_DEVICE inline void crop_pixel(const uint8_t* img, int64_t h, int64_t w, int64_t top,
                                       int64_t left, bool flip, int64_t out_w, int64_t y, int64_t x,
                                       uint8_t* out) {
  const int64_t sy = top + y, sx = left + (flip ? out_w - 1 - x : x);
  const bool inside = sy >= 0 && sy < h && sx >= 0 && sx < w;
  for (int c = 0; c < 3; ++c) out[c] = inside ? img[(sy * w + sx) * 3 + c] : 0;
}

// One coordinate's bilinear taps (align_corners = false): the source position
// (o + 0.5) in / out - 0.5 (one fused multiply-add) clamped to [0, in - 1], its two neighbours
// and the second's weight.
struct Tap {
  int32_t lo, hi;
  float w;
};
BCL_HOST_DEVICE inline Tap bilinear_tap(int64_t o, int64_t in_size, int64_t out_size) {
  const double scale = static_cast<double>(in_size) / static_cast<double>(out_size);
  double src = ::fma(static_cast<double>(o) + 0.5, scale, -0.5);
  const auto last = static_cast<double>(in_size - 1);
  src = src < 0.0 ? 0.0 : src > last ? last : src;
  const auto lo = static_cast<int64_t>(::floor(src));
  return {static_cast<int32_t>(lo),
          static_cast<int32_t>(lo + 1 < in_size - 1 ? lo + 1 : in_size - 1),
          static_cast<float>(src - static_cast<double>(lo))};
}
// The resized value at taps (ty, tx) of channel c in an HWC image of row length `width`:
// top = a (1 - wx) + b wx, bottom likewise, v = top (1 - wy) + bottom wy, each sum fused with its
// first product; rounded half away from zero and clamped.
BCL_HOST_DEVICE inline uint8_t bilinear_value(const uint8_t* img, int64_t width, Tap ty, Tap tx,
                                              int c) {
  auto at = [&](int32_t y, int32_t x) {
    return static_cast<float>(img[(static_cast<int64_t>(y) * width + x) * 3 + c]);
  };
  const float top = ::fmaf(at(ty.lo, tx.lo), 1 - tx.w, at(ty.lo, tx.hi) * tx.w);
  const float bottom = ::fmaf(at(ty.hi, tx.lo), 1 - tx.w, at(ty.hi, tx.hi) * tx.w);
  const float r = ::roundf(::fmaf(top, 1 - ty.w, bottom * ty.w));
  return static_cast<uint8_t>(r <= 0.f ? 0.f : r >= 255.f ? 255.f : r);
}

// ---- PIL's affine warps (Image.transform(size, AFFINE, m, resample, fillcolor)) ---------------
// Output pixel (x, y) takes the input at (m0 (x + 0.5) + m1 (y + 0.5) + m2, m3 (x + 0.5) +
// m4 (y + 0.5) + m5), or `fill` when that falls outside. The path PIL takes:
enum WarpKind : int32_t {
  kWarpNone,      // the image unchanged (a rotation by a multiple of 360 degrees)
  kWarpBilinear,  // the generic transform, 2x2 filter
  kWarpBicubic,   // the generic transform, 4x4 a = -1 cubic
  kWarpScale,     // nearest with m1 = m3 = 0: ImagingScaleAffine's stepped sums
  kWarpFixed,     // nearest: affine_fixed's 16.16 fixed point
  kWarpMapped     // nearest, coordinates beyond fixed point's range: each centre mapped
};
struct Warp {
  int32_t kind = kWarpNone;
  uint8_t fill[3] = {0, 0, 0};
  uint8_t unused = 0;
  double m[6] = {1, 0, 0, 0, 1, 0};
};
// resample: 0 nearest, 1 bilinear, 2 bicubic (data::Resample's order).
BCL_HOST_DEVICE inline Warp make_warp(const double* m, int resample, const uint8_t* fill, int64_t h,
                                      int64_t w) {
  Warp wp;
  for (int k = 0; k < 6; ++k) wp.m[k] = m[k];
  for (int c = 0; c < 3; ++c) wp.fill[c] = fill[c];
  auto fits = [&](double x, double y) {
    return ::fabs(x * m[0] + y * m[1] + m[2]) < 32768.0 &&
           ::fabs(x * m[3] + y * m[4] + m[5]) < 32768.0;
  };
  const auto W = static_cast<double>(w), H = static_cast<double>(h);
  wp.kind = resample == 1                                          ? kWarpBilinear
            : resample == 2                                        ? kWarpBicubic
            : m[1] == 0 && m[3] == 0                               ? kWarpScale
            : fits(0, 0) && fits(W, H) && fits(0, H) && fits(W, 0) ? kWarpFixed
                                                                   : kWarpMapped;
  return wp;
}

// PIL's COORD (the pixel containing a coordinate; -1 for any negative) and FLOOR.
BCL_HOST_DEVICE inline int64_t pil_coord(double v) {
  return v < 0.0 ? -1 : static_cast<int64_t>(v);
}
BCL_HOST_DEVICE inline int pil_floor(double v) {
  return v < 0.0 ? static_cast<int>(::floor(v)) : static_cast<int>(v);
}
// PIL's BICUBIC macro: the a = -1 cubic through v1..v4 at d between v2 and v3.
BCL_HOST_DEVICE inline double pil_cubic(double v1, double v2, double v3, double v4, double d) {
  const double p2 = -v1 + v3, p3 = 2 * (v1 - v2) + v3 - v4, p4 = -v1 + v2 - v3 + v4;
  return v2 + d * (p2 + d * (p3 + d * p4));
}
// bilinear_filter32RGB / bicubic_filter32RGB at (xin, yin) (pixel centres at +0.5) of channel c:
// columns clamped to the image, the first row clamped and each later row past the edge repeating
// the previous row's value; bilinear rows a + (b - a) dx then v1 + (v2 - v1) dy truncated, bicubic
// clamped and truncated.
BCL_HOST_DEVICE inline uint8_t pil_interpolate(const uint8_t* src, int64_t h, int64_t w, double xin,
                                               double yin, int c, bool bicubic) {
  xin -= 0.5;
  yin -= 0.5;
  int x = pil_floor(xin), y = pil_floor(yin);
  const double dx = xin - x, dy = yin - y;
  const int taps = bicubic ? 4 : 2;
  x -= bicubic;
  y -= bicubic;
  auto clip = [](int v, int64_t n) { return v < 0 ? 0 : v < n ? v : static_cast<int>(n - 1); };
  auto row = [&](int yy) {
    const uint8_t* r = src + static_cast<int64_t>(yy) * w * 3 + c;
    double t[4];
    for (int k = 0; k < taps; ++k) t[k] = r[3 * clip(x + k, w)];
    return bicubic ? pil_cubic(t[0], t[1], t[2], t[3], dx) : t[0] + (t[1] - t[0]) * dx;
  };
  double v[4];
  v[0] = row(clip(y, h));
  for (int k = 1; k < taps; ++k) v[k] = (y + k >= 0 && y + k < h) ? row(y + k) : v[k - 1];
  if (!bicubic) return static_cast<uint8_t>(v[0] + (v[1] - v[0]) * dy);
  const double out = pil_cubic(v[0], v[1], v[2], v[3], dy);
  return out <= 0.0 ? 0 : out >= 255.0 ? 255 : static_cast<uint8_t>(out);
}
// PIL's FIX for affine_fixed: 16.16 fixed point, rounded (v * 65536 is exact).
BCL_HOST_DEVICE inline int32_t pil_fix(double v) {
  return static_cast<int32_t>(pil_floor(v * 65536.0 + 0.5));
}
// ImagingScaleAffine's source index along one axis: offset + step / 2, then `step` added k times,
// each sum rounded (so a partial sum, not a product), COORD of it.
BCL_HOST_DEVICE inline int32_t scale_coord(double offset, double step, int64_t k) {
  double v = offset + step * 0.5;
  for (int64_t i = 0; i < k; ++i) v += step;
  return static_cast<int32_t>(pil_coord(v));
}

// Output pixel (y, x) of the warp of an h x w image src, to out (3 bytes). For kWarpScale, coords
// holds scale_coord of every column, then of every row.
BCL_HOST_DEVICE inline void warp_pixel(const Warp& wp, const uint8_t* src, int64_t h, int64_t w,
                                       int64_t y, int64_t x, const int32_t* coords, uint8_t* out) {
  const double* m = wp.m;
  const double cx = static_cast<double>(x) + 0.5, cy = static_cast<double>(y) + 0.5;
  const double xin = m[0] * cx + m[1] * cy + m[2], yin = m[3] * cx + m[4] * cy + m[5];
  int64_t sy = pil_coord(yin), sx = pil_coord(xin);
  switch (wp.kind) {
    case kWarpBilinear:
    case kWarpBicubic:
      for (int c = 0; c < 3; ++c)
        out[c] = xin < 0.0 || xin >= w || yin < 0.0 || yin >= h
                     ? wp.fill[c]
                     : pil_interpolate(src, h, w, xin, yin, c, wp.kind == kWarpBicubic);
      return;
    case kWarpScale:
      sx = coords[x];
      sy = coords[w + y];
      break;
    case kWarpFixed: {
      // affine_fixed's int32 sums (fix(m2 + m0 / 2 + m1 / 2) + y a1 + x a0) >> 16, an arithmetic
      // shift (a floor), wrapping as the int32 accumulators would.
      const int64_t a2 = pil_fix(m[2] + m[0] * 0.5 + m[1] * 0.5);
      const int64_t a5 = pil_fix(m[5] + m[3] * 0.5 + m[4] * 0.5);
      sx = static_cast<int32_t>(static_cast<uint32_t>(a2 + y * pil_fix(m[1]) + x * pil_fix(m[0])));
      sy = static_cast<int32_t>(static_cast<uint32_t>(a5 + y * pil_fix(m[4]) + x * pil_fix(m[3])));
      sx >>= 16;
      sy >>= 16;
      break;
    }
    default:  // kWarpMapped: the pixel containing the mapped centre
      break;
  }
  const bool inside = sy >= 0 && sy < h && sx >= 0 && sx < w;
  for (int c = 0; c < 3; ++c) out[c] = inside ? src[(sy * w + sx) * 3 + c] : wp.fill[c];
}

// PIL's SMOOTH filter at (y, x) of channel c: the 3x3 kernel [1 1 1; 1 5 1; 1 1 1] with each weight
// divided by 13 beforehand, summed row by row (below, centre, above) into 0.5 and truncated; the
// border rows and columns (and images smaller than 3x3) keep their value.
BCL_HOST_DEVICE inline uint8_t smooth_value(const uint8_t* src, int64_t h, int64_t w, int64_t y,
                                            int64_t x, int c) {
  if (y < 1 || y + 1 >= h || x < 1 || x + 1 >= w) return src[(y * w + x) * 3 + c];
  const float centre = 5.f / 13.f, side = 1.f / 13.f;
  float ss = 0.5f;
  for (int dy = 1; dy >= -1; --dy) {
    const uint8_t* r = src + ((y + dy) * w + x) * 3 + c;
    ss += static_cast<float>(r[-3]) * side + static_cast<float>(r[0]) * (dy == 0 ? centre : side) +
          static_cast<float>(r[3]) * side;
  }
  return clip8_float(ss);
}

// ImageOps.autocontrast (cutoff 0) from one channel's histogram: [lo, hi] stretched to [0, 255],
// v -> int(v scale + offset) clipped, scale = 255 / (hi - lo), offset = -lo scale; identity when
// hi <= lo.
BCL_HOST_DEVICE inline void autocontrast_lut(const int32_t* hist, uint8_t* lut) {
  int lo = 0, hi = 255;
  while (lo < 255 && hist[lo] == 0) ++lo;
  while (hi > 0 && hist[hi] == 0) --hi;
  const double scale = hi > lo ? 255.0 / (hi - lo) : 1.0, offset = -lo * scale;
  for (int v = 0; v < 256; ++v)
    lut[v] = hi <= lo ? static_cast<uint8_t>(v) : clip8(static_cast<int>(v * scale + offset));
}
// ImageOps.equalize: step = (pixels - count of the highest occupied value) // 255;
// lut[v] = min((step // 2 + sum_{u < v} h[u]) // step, 255); identity when one value is occupied
// or step is 0.
BCL_HOST_DEVICE inline void equalize_lut(const int32_t* hist, uint8_t* lut) {
  int64_t total = 0, last = 0, occupied = 0;
  for (int v = 0; v < 256; ++v) {
    if (hist[v] == 0) continue;
    total += hist[v];
    last = hist[v];
    ++occupied;
  }
  const int64_t step = occupied <= 1 ? 0 : (total - last) / 255;
  int64_t n = step / 2;
  for (int v = 0; v < 256; ++v) {
    lut[v] =
        step == 0 ? static_cast<uint8_t>(v) : static_cast<uint8_t>(n / step < 255 ? n / step : 255);
    n += hist[v];
  }
}

// ---- Steps: one operation on a whole image ---------------------------------------------------

enum StepOp : int32_t {
  kOpNone,
  kOpWarp,          // into the other buffer
  kOpSharpness,     // into the other buffer: blend(smooth, image, factor)
  kOpContrast,      // blend toward the image's mean luma
  kOpAutoContrast,  // through tables from the per-channel histograms
  kOpEqualize,
  kOpBrightness,  // blend toward black
  kOpSaturation,  // blend toward the pixel's luma (ImageEnhance.Color)
  kOpHue,         // 8-bit HSV round trip with H + shift
  kOpGrayscale,
  kOpPosterize,    // v & ~(2^(8 - bits) - 1)
  kOpSolarize,     // v < threshold ? v : 255 - v
  kOpSolarizeAdd,  // v < threshold ? min(255, v + add) : v (timm's, threshold 128)
  kOpInvert
};
struct StepSpec {
  int32_t op = kOpNone;
  int32_t bits = 8, add = 0;
  float factor = 1;  // Image.blend's alpha
  double threshold = 0;
  uint8_t shift = 0;
  Warp warp;
};

// data::apply_auto_augment_op's step: shears +-m (bicubic), translations +-m width or height pixels
// (nearest), rotate `rotation` (its warp for this index, computed on the host: cos, sin and long
// double; no sign, 128 grey), the enhance ops' factor float(1 +- m), posterize's whole bits,
// solarize's threshold. An op or index out of range does nothing.
BCL_HOST_DEVICE inline StepSpec policy_step(int32_t op, int32_t index, int32_t sign, int64_t h,
                                            int64_t w, const uint8_t* fill, const Warp& rotation) {
  StepSpec s;
  if (op < 0 || op >= kNumPolicyOps || index < 0 || index > 9) return s;
  const StepOp ops[kNumPolicyOps] = {kOpWarp,     kOpWarp,       kOpWarp,       kOpWarp,
                                     kOpWarp,     kOpSaturation, kOpPosterize,  kOpSolarize,
                                     kOpContrast, kOpSharpness,  kOpBrightness, kOpAutoContrast,
                                     kOpEqualize, kOpInvert};
  const double m = policy_magnitude(op, index), sm = sign < 0 ? -m : m;
  s.op = ops[op];
  s.threshold = m;
  s.factor = static_cast<float>(1.0 + sm);  // the enhance ops: 1 + m s in double, then float
  if (s.op == kOpPosterize) s.bits = static_cast<int32_t>(m);
  if (static_cast<PolicyOp>(op) == PolicyOp::Rotate) {
    s.warp = rotation;
  } else if (s.op == kOpWarp) {  // ShearX, ShearY in m1, m3; TranslateX, TranslateY in m2, m5
    const int entry[4] = {1, 3, 2, 5};
    double a[6] = {1, 0, 0, 0, 1, 0};
    a[entry[op]] = op < 2 ? sm : (sign < 0 ? -1 : 1) * (m * static_cast<double>(op == 2 ? w : h));
    s.warp = make_warp(a, op < 2 ? 2 : 0, fill, h, w);
  }
  return s;
}
// The warp of rotate at magnitude index i on an h x w image (host: needs long double).
inline Warp policy_rotation(int32_t index, int64_t h, int64_t w) {
  Warp wp;
  double m[6];
  const uint8_t grey[3] = {128, 128, 128};
  if (rotation_matrix(policy_magnitude(static_cast<int32_t>(PolicyOp::Rotate), index), h, w, m))
    wp = make_warp(m, 0, grey, h, w);
  return wp;
}

// data::apply_rand_augment_step's step: posterize(min(8, int(v))), solarize(v),
// solarize_add(int(v), 128), the enhance ops with factor float(v), the warps with the step's
// matrix, resampling and `fill`. Arguments are clamped so that bad params (which the front-end
// refuses on the host) stay memory-safe on the GPU.
BCL_HOST_DEVICE inline StepSpec rand_step_spec(const RandStep& r, int64_t h, int64_t w,
                                               const uint8_t* fill) {
  StepSpec s;
  if (!r.applied || r.op < 0 || r.op >= kNumRandOps) return s;
  const double v = r.argument;
  const StepOp ops[11] = {kOpAutoContrast, kOpEqualize,   kOpInvert,      kOpWarp,
                          kOpPosterize,    kOpSolarize,   kOpSolarizeAdd, kOpSaturation,
                          kOpContrast,     kOpBrightness, kOpSharpness};
  s.op = r.op < 11 ? ops[r.op] : kOpWarp;
  s.bits = v >= 8 ? 8 : v > 0 ? static_cast<int32_t>(v) : 0;
  s.add = v >= 255 ? 255 : v > 0 ? static_cast<int32_t>(v) : 0;
  s.threshold = s.op == kOpSolarizeAdd ? 128 : v;
  s.factor = static_cast<float>(v);
  if (s.op == kOpWarp && r.warp)
    s.warp = make_warp(r.m, r.resample == kRandBicubic ? 2 : 1, fill, h, w);
  return s;
}

// Colour jitter step k of j (torchvision's adjust_* on PIL images).
BCL_HOST_DEVICE inline StepSpec jitter_step(const Jitter& j, int32_t k) {
  StepSpec s;
  const StepOp ops[4] = {kOpBrightness, kOpContrast, kOpSaturation, kOpHue};
  s.op = ops[k];
  s.factor = static_cast<float>(j.factor(k));
  s.shift = hue_shift(j.hue);
  return s;
}

// One pixel (RGB, in place) of a step that reads only that pixel; `mean` is contrast's mean luma,
// `luts` the 3 x 256 tables of autocontrast or equalize.
BCL_HOST_DEVICE inline void point_pixel(const StepSpec& s, uint8_t mean, const uint8_t* luts,
                                        uint8_t* px) {
  const bool needs_luma = s.op == kOpSaturation || s.op == kOpGrayscale;
  const uint8_t l = needs_luma ? luma(px[0], px[1], px[2]) : 0;
  if (s.op == kOpHue) {
    uint8_t hsv[3];
    rgb_to_hsv(px[0], px[1], px[2], hsv);
    hsv_to_rgb(static_cast<uint8_t>(hsv[0] + s.shift), hsv[1], hsv[2], px);
    return;
  }
  const auto mask =
      static_cast<uint8_t>(s.op == kOpPosterize ? ~((1u << (8 - s.bits)) - 1u) & 0xFFu : 0xFFu);
  for (int c = 0; c < 3; ++c) {
    const uint8_t v = px[c];
    switch (s.op) {
      case kOpContrast:
        px[c] = blend_value(mean, v, s.factor);
        break;
      case kOpBrightness:
        px[c] = blend_value(0, v, s.factor);
        break;
      case kOpSaturation:
        px[c] = blend_value(l, v, s.factor);
        break;
      case kOpGrayscale:
        px[c] = l;
        break;
      case kOpAutoContrast:
      case kOpEqualize:
        px[c] = luts[c * 256 + v];
        break;
      case kOpPosterize:
        px[c] = v & mask;
        break;
      case kOpSolarize:
        px[c] = static_cast<uint8_t>(v < s.threshold ? v : 255 - v);
        break;
      case kOpSolarizeAdd:
        px[c] = static_cast<uint8_t>(v < s.threshold ? clip8(v + s.add) : v);
        break;
      case kOpInvert:
        px[c] = static_cast<uint8_t>(255 - v);
        break;
      default:
        break;
    }
  }
}

// How run_step's loops run: Loop::each(n, f) calls f(k) for every k < n (on the GPU each thread of
// the block some of them), sync() is a barrier, add(p, v) and inc(p) update shared counters
// (atomically on the GPU), hist (3 x 256), luts (3 x 256) and sum are scratch, coords(n) is room
// for n int32. SerialLoop: the host, one thread.
struct SerialLoop {
  int32_t hist[3 * 256];
  uint8_t luts[3 * 256];
  unsigned long long sum = 0;
  std::vector<int32_t> coord_buf;

  template <class F>
  void each(int64_t n, F&& f) const {
    for (int64_t k = 0; k < n; ++k) f(k);
  }
  void sync() const {}
  static void add(unsigned long long* p, unsigned long long v) { *p += v; }
  static void inc(int32_t* p) { ++*p; }
  int32_t* coords(int64_t n) {
    coord_buf.resize(static_cast<size_t>(n));
    return coord_buf.data();
  }
};

// Step s on the h x w image in a (b is scratch of the same size) by the whole loop; returns the
// buffer that holds the result. Every branch depends on s alone, so on the GPU all threads of the
// block reach each barrier.
template <class Loop>
BCL_HOST_DEVICE uint8_t* run_step(Loop& L, const StepSpec& s, uint8_t* a, uint8_t* b, int64_t h,
                                  int64_t w) {
  const int64_t n = h * w;
  uint8_t mean = 0;
  switch (s.op) {
    case kOpNone:
      return a;
    case kOpWarp: {
      if (s.warp.kind == kWarpNone) return a;
      int32_t* coords = L.coords(w + h);
      if (s.warp.kind == kWarpScale) {
        const double* m = s.warp.m;
        L.each(w + h, [&](int64_t k) {
          coords[k] = k < w ? scale_coord(m[2], m[0], k) : scale_coord(m[5], m[4], k - w);
        });
        L.sync();
      }
      L.each(n, [&](int64_t q) { warp_pixel(s.warp, a, h, w, q / w, q % w, coords, b + 3 * q); });
      L.sync();
      return b;
    }
    case kOpSharpness:
      L.each(n, [&](int64_t q) {
        for (int c = 0; c < 3; ++c)
          b[3 * q + c] =
              blend_value(smooth_value(a, h, w, q / w, q % w, c), a[3 * q + c], s.factor);
      });
      L.sync();
      return b;
    case kOpContrast:
      L.each(1, [&](int64_t) { L.sum = 0; });
      L.sync();
      L.each(n, [&](int64_t q) { L.add(&L.sum, luma(a[3 * q], a[3 * q + 1], a[3 * q + 2])); });
      L.sync();
      mean = contrast_mean(L.sum, n);
      break;
    case kOpAutoContrast:
    case kOpEqualize:
      L.each(3 * 256, [&](int64_t k) { L.hist[k] = 0; });
      L.sync();
      L.each(3 * n, [&](int64_t k) { L.inc(&L.hist[(k % 3) * 256 + a[k]]); });
      L.sync();
      L.each(3, [&](int64_t c) {
        if (s.op == kOpAutoContrast) autocontrast_lut(L.hist + c * 256, L.luts + c * 256);
        if (s.op == kOpEqualize) equalize_lut(L.hist + c * 256, L.luts + c * 256);
      });
      L.sync();
      break;
    default:
      break;
  }
  L.each(n, [&](int64_t q) { point_pixel(s, mean, L.luts, a + 3 * q); });
  L.sync();
  return a;
}

// The sim view before normalisation, into a (size x size): the box of the h x w image resized
// bilinearly (mirrored: output column x samples the resized box at size - 1 - x), then the colour
// jitter's enabled steps in their drawn order, then the grayscale.
template <class Loop>
BCL_HOST_DEVICE void sim_view(Loop& L, const uint8_t* img, int64_t w, const SimParams& p,
                              int32_t size, uint8_t* a) {
  const uint8_t* box = img + (static_cast<int64_t>(p.top) * w + p.left) * 3;
  L.each(static_cast<int64_t>(size) * size, [&](int64_t q) {
    const int64_t y = q / size, x = q % size;
    const Tap ty = bilinear_tap(y, p.height, size);
    const Tap tx = bilinear_tap(p.flip ? size - 1 - x : x, p.width, size);
    for (int c = 0; c < 3; ++c) a[3 * q + c] = bilinear_value(box, w, ty, tx, c);
  });
  L.sync();
  for (int k = 0; k < 4 && p.jitter; ++k)
    if ((p.enabled >> p.order[k]) & 1) run_step(L, jitter_step(p, p.order[k]), a, a, size, size);
  StepSpec gray;
  gray.op = p.gray ? kOpGrayscale : kOpNone;
  run_step(L, gray, a, a, size, size);
}

}  // namespace bcl::augment
