// Pixel math of the batched "autoaug-cutout" view, shared by the CPU twin
// (augment_policy_batch.cpp) and the CUDA kernel (augment_policy_batch.cu): data/auto_augment.cpp's
// PIL affine warps and data/color_ops.cpp's enhance, table and histogram ops, on one output pixel
// of a small square uint8 HWC view at a time, every rounding explicit (see augment_params.h) so
// that both compilers give the same bytes. Per-image statistics (contrast's mean luma, the
// histograms of autocontrast and equalize) are the caller's: a loop on the CPU, a block-wide
// reduction on the GPU.
#pragma once

#include <cstdint>

#include "tensor/kernels/augment_policy.h"

namespace bcl::augment {

// What a step needs besides the pixels. op is -1 for a step that does nothing (an op or
// magnitude index out of range, which the CPU front-end refuses and the GPU must survive).
struct StepSpec {
  int32_t op = -1;
  int32_t bits = 8;      // posterize
  float factor = 1;      // color, contrast, sharpness, brightness: Image.blend's alpha
  double threshold = 0;  // solarize
  Warp warp;             // the geometric ops
};

// data::apply_auto_augment_op's arguments: shears f = +-m (bicubic), translations +-m size pixels
// (nearest), rotate from the host's table (no sign), the enhance ops' factor float(1 +- m),
// posterize's whole bits, solarize's threshold.
BCL_HOST_DEVICE inline StepSpec step_spec(int32_t op, int32_t index, int32_t sign,
                                          const AutoAugCutoutConfig& cfg, const PolicyTables& t) {
  StepSpec s;
  if (op < 0 || op >= kNumPolicyOps || index < 0 || index > 9) return s;
  s.op = op;
  const double m = policy_magnitude(op, index);
  const double sm = sign < 0 ? -m : m;
  for (int c = 0; c < 3; ++c) s.warp.fill[c] = cfg.fill[c];
  switch (static_cast<PolicyOp>(op)) {
    case PolicyOp::ShearX:
    case PolicyOp::ShearY:
      s.warp.kind = kWarpBicubic;
      s.warp.m[op == static_cast<int32_t>(PolicyOp::ShearX) ? 1 : 3] = sm;
      break;
    case PolicyOp::TranslateX:
    case PolicyOp::TranslateY: {
      // m * img.width * s: the product rounded, then its sign.
      const double t_px = mul_rn(m, static_cast<double>(cfg.size));
      s.warp.kind = kWarpScale;
      s.warp.m[op == static_cast<int32_t>(PolicyOp::TranslateX) ? 2 : 5] = sign < 0 ? -t_px : t_px;
      break;
    }
    case PolicyOp::Rotate:
      s.warp = t.rotate[index];
      break;
    case PolicyOp::Posterize:
      s.bits = static_cast<int32_t>(m);
      break;
    case PolicyOp::Solarize:
      s.threshold = m;
      break;
    default:  // the enhance ops take 1 + m s in double, then Image.blend's float
      s.factor = static_cast<float>(1.0 + sm);
      break;
  }
  return s;
}

// How the kernels run a step.
enum StepClass : int32_t {
  kStepNothing,
  kStepWarp,       // into the other buffer
  kStepSharpness,  // into the other buffer (reads the 3x3 neighbourhood)
  kStepMean,       // in place, after the view's mean luma (contrast)
  kStepHistogram,  // in place, through tables built from the per-channel histograms
  kStepPoint       // in place, each pixel on its own
};
BCL_HOST_DEVICE inline StepClass step_class(int32_t op) {
  switch (static_cast<PolicyOp>(op)) {
    case PolicyOp::ShearX:
    case PolicyOp::ShearY:
    case PolicyOp::TranslateX:
    case PolicyOp::TranslateY:
    case PolicyOp::Rotate:
      return kStepWarp;
    case PolicyOp::Sharpness:
      return kStepSharpness;
    case PolicyOp::Contrast:
      return kStepMean;
    case PolicyOp::AutoContrast:
    case PolicyOp::Equalize:
      return kStepHistogram;
    case PolicyOp::Color:
    case PolicyOp::Posterize:
    case PolicyOp::Solarize:
    case PolicyOp::Brightness:
    case PolicyOp::Invert:
      return kStepPoint;
  }
  return kStepNothing;
}

// ---- The crop, flip and cutout ---------------------------------------------------------------

// Pixel q of the view: crop(img, top, left, size, size) (zeros outside), then hflip.
BCL_HOST_DEVICE inline void crop_flip_pixel(const uint8_t* img, int64_t height, int64_t width,
                                            const AutoAugCutoutParams& p, int32_t size, int64_t q,
                                            uint8_t* view) {
  const int64_t y = q / size, x = q % size;
  const int64_t sy = p.top + y, sx = p.left + (p.flip ? size - 1 - x : x);
  const bool inside = sy >= 0 && sy < height && sx >= 0 && sx < width;
  for (int c = 0; c < 3; ++c) view[3 * q + c] = inside ? img[(sy * width + sx) * 3 + c] : 0;
}

BCL_HOST_DEVICE inline bool in_cutout(const AutoAugCutoutParams& p, int32_t size, int64_t q) {
  const int64_t y = q / size, x = q % size;
  return y >= p.cut_y0 && y < p.cut_y1 && x >= p.cut_x0 && x < p.cut_x1;
}

// ---- PIL's affine warps (data::affine) -------------------------------------------------------

// PIL's COORD (the pixel containing a coordinate; -1 for any negative) and FLOOR.
BCL_HOST_DEVICE inline int64_t pil_coord(double v) {
  return v < 0.0 ? -1 : static_cast<int64_t>(v);
}
BCL_HOST_DEVICE inline int pil_floor(double v) {
  return v < 0.0 ? static_cast<int>(floor_d(v)) : static_cast<int>(v);
}

// PIL's BICUBIC macro, the a = -1 cubic through v1..v4 at d between v2 and v3. 2 (v1 - v2) is
// exact, so g++ fusing it into the following sum changes nothing.
BCL_HOST_DEVICE inline double pil_cubic(double v1, double v2, double v3, double v4, double d) {
  const double p1 = v2, p2 = -v1 + v3, p3 = mul_rn(2.0, v1 - v2) + v3 - v4, p4 = -v1 + v2 - v3 + v4;
  return p1 + mul_rn(d, p2 + mul_rn(d, p3 + mul_rn(d, p4)));
}

// bicubic_filter32RGB at (xin, yin) (pixel centres at +0.5) of channel c: columns clamped to the
// view, the first row clamped and each later row past an edge repeating the previous row's value;
// the result clamped to [0, 255] and truncated.
BCL_HOST_DEVICE inline uint8_t pil_bicubic(const uint8_t* src, int32_t size, double xin, double yin,
                                           int c) {
  xin -= 0.5;
  yin -= 0.5;
  int x = pil_floor(xin), y = pil_floor(yin);
  const double dx = xin - x, dy = yin - y;
  --x;
  --y;
  auto clip = [size](int v) { return v < 0 ? 0 : v < size ? v : size - 1; };
  const int xs[4] = {clip(x), clip(x + 1), clip(x + 2), clip(x + 3)};
  auto row = [&](int yy) {
    const uint8_t* r = src + static_cast<int64_t>(yy) * size * 3 + c;
    return pil_cubic(r[3 * xs[0]], r[3 * xs[1]], r[3 * xs[2]], r[3 * xs[3]], dx);
  };
  double v[4];
  v[0] = row(clip(y));
  for (int k = 1; k < 4; ++k) v[k] = (y + k >= 0 && y + k < size) ? row(y + k) : v[k - 1];
  const double out = pil_cubic(v[0], v[1], v[2], v[3], dy);
  return out <= 0.0 ? 0 : out >= 255.0 ? 255 : static_cast<uint8_t>(out);
}

// PIL's FIX for affine_fixed: 16.16 fixed point, rounded (v * 65536 is exact).
BCL_HOST_DEVICE inline int32_t pil_fix(double v) {
  return static_cast<int32_t>(pil_floor(mul_rn(v, 65536.0) + 0.5));
}

// Output pixel q of data::affine(src, w.m, ...) on a size x size view, written to dst.
BCL_HOST_DEVICE inline void warp_pixel(const Warp& w, const uint8_t* src, int32_t size, int64_t q,
                                       uint8_t* dst) {
  const int64_t y = q / size, x = q % size;
  const double* m = w.m;
  uint8_t* out = dst + 3 * q;
  // The nearest paths copy source pixel (sy, sx) when inside, else the fill.
  auto pick = [&](int64_t sy, int64_t sx) {
    const bool inside = sy >= 0 && sy < size && sx >= 0 && sx < size;
    for (int c = 0; c < 3; ++c) out[c] = inside ? src[(sy * size + sx) * 3 + c] : w.fill[c];
  };
  const double cx = static_cast<double>(x) + 0.5, cy = static_cast<double>(y) + 0.5;
  switch (w.kind) {
    case kWarpBicubic: {
      const double xin = mul_rn(m[0], cx) + mul_rn(m[1], cy) + m[2];
      const double yin = mul_rn(m[3], cx) + mul_rn(m[4], cy) + m[5];
      if (xin < 0.0 || xin >= size || yin < 0.0 || yin >= size) {
        for (int c = 0; c < 3; ++c) out[c] = w.fill[c];
      } else {
        for (int c = 0; c < 3; ++c) out[c] = pil_bicubic(src, size, xin, yin, c);
      }
      break;
    }
    case kWarpScale: {
      // ImagingScaleAffine sums the steps row by row and column by column, each sum rounded, so
      // the coordinate is the y-th (x-th) partial sum, not a product.
      double yo = m[5] + mul_rn(m[4], 0.5), xo = m[2] + mul_rn(m[0], 0.5);
      for (int64_t k = 0; k < y; ++k) yo += m[4];
      for (int64_t k = 0; k < x; ++k) xo += m[0];
      pick(pil_coord(yo), pil_coord(xo));
      break;
    }
    case kWarpFixed: {
      // affine_fixed's int32 sums: (fix(m2 + m0 / 2 + m1 / 2) + y a1 + x a0) >> 16 (an
      // arithmetic shift, so a floor), wrapping as the int32 accumulators would.
      const int64_t a0 = pil_fix(m[0]), a1 = pil_fix(m[1]), a3 = pil_fix(m[3]), a4 = pil_fix(m[4]);
      const int64_t a2 = pil_fix(m[2] + mul_rn(m[0], 0.5) + mul_rn(m[1], 0.5));
      const int64_t a5 = pil_fix(m[5] + mul_rn(m[3], 0.5) + mul_rn(m[4], 0.5));
      const auto xx = static_cast<int32_t>(static_cast<uint32_t>(a2 + y * a1 + x * a0));
      const auto yy = static_cast<int32_t>(static_cast<uint32_t>(a5 + y * a4 + x * a3));
      pick(yy >> 16, xx >> 16);
      break;
    }
    case kWarpMapped:
      pick(pil_coord(mul_rn(m[3], cx) + mul_rn(m[4], cy) + m[5]),
           pil_coord(mul_rn(m[0], cx) + mul_rn(m[1], cy) + m[2]));
      break;
    default:
      for (int c = 0; c < 3; ++c) out[c] = src[3 * q + c];
      break;
  }
}

// ---- Colour ops (data/color_ops.cpp) ---------------------------------------------------------

// adjust_sharpness's pixel q: blend(smooth3x3(src), src, alpha). SMOOTH is PIL's 3x3 filter with
// the weights pre-divided by 13, summed row by row (below, centre, above) into 0.5 and truncated;
// border pixels, and views smaller than 3x3, keep their value.
BCL_HOST_DEVICE inline void sharpness_pixel(const uint8_t* src, int32_t size, int64_t q,
                                            float alpha, uint8_t* dst) {
  const int64_t y = q / size, x = q % size;
  const bool interior = y >= 1 && y + 1 < size && x >= 1 && x + 1 < size;
  const float centre = 5.f / 13.f, side = 1.f / 13.f;
  for (int c = 0; c < 3; ++c) {
    const uint8_t v = src[3 * q + c];
    uint8_t smooth = v;
    if (interior) {
      float ss = 0.5f;
      for (int dy = 1; dy >= -1; --dy) {
        const float k1 = dy == 0 ? centre : side;
        const uint8_t* r = src + ((y + dy) * size + x) * 3 + c;
        ss += mul_rn(static_cast<float>(r[-3]), side) + mul_rn(static_cast<float>(r[0]), k1) +
              mul_rn(static_cast<float>(r[3]), side);
      }
      smooth = clip8_float(ss);
    }
    dst[3 * q + c] = blend_value(smooth, v, alpha);
  }
}

// One pixel (RGB, in place) of a kStepMean, kStepHistogram or kStepPoint step: `mean` is
// contrast's mean luma (contrast_mean), `luts` the 3 x 256 tables of autocontrast or equalize.
// Image.blend's shortcuts at alpha 0 and 1 equal blend_value there, so none is needed.
BCL_HOST_DEVICE inline void point_pixel(const StepSpec& s, uint8_t mean, const uint8_t* luts,
                                        uint8_t* px) {
  switch (static_cast<PolicyOp>(s.op)) {
    case PolicyOp::Color: {  // adjust_saturation: blend toward the pixel's luma
      const uint8_t l = luma(px[0], px[1], px[2]);
      for (int c = 0; c < 3; ++c) px[c] = blend_value(l, px[c], s.factor);
      break;
    }
    case PolicyOp::Contrast:
      for (int c = 0; c < 3; ++c) px[c] = blend_value(mean, px[c], s.factor);
      break;
    case PolicyOp::Brightness:
      for (int c = 0; c < 3; ++c) px[c] = blend_value(0, px[c], s.factor);
      break;
    case PolicyOp::Posterize: {  // keeps the `bits` high bits
      const auto mask = static_cast<uint8_t>(~((1u << (8 - s.bits)) - 1u) & 0xFFu);
      for (int c = 0; c < 3; ++c) px[c] = static_cast<uint8_t>(px[c] & mask);
      break;
    }
    case PolicyOp::Solarize:
      for (int c = 0; c < 3; ++c)
        px[c] = static_cast<uint8_t>(px[c] < s.threshold ? px[c] : 255 - px[c]);
      break;
    case PolicyOp::Invert:
      for (int c = 0; c < 3; ++c) px[c] = static_cast<uint8_t>(255 - px[c]);
      break;
    case PolicyOp::AutoContrast:
    case PolicyOp::Equalize:
      for (int c = 0; c < 3; ++c) px[c] = luts[c * 256 + px[c]];
      break;
    default:
      break;
  }
}

// autocontrast's table from one channel's histogram: lo, hi the lowest and highest occupied
// values; v -> int(v scale + offset) clipped, scale = 255 / (hi - lo), offset = -lo scale (each
// product rounded on its own, as PIL's Python computes them); identity when hi <= lo.
BCL_HOST_DEVICE inline void autocontrast_lut(const int32_t* hist, uint8_t* lut) {
  int lo = 0, hi = 255;
  while (lo < 255 && hist[lo] == 0) ++lo;
  while (hi > 0 && hist[hi] == 0) --hi;
  if (hi <= lo) {
    for (int v = 0; v < 256; ++v) lut[v] = static_cast<uint8_t>(v);
    return;
  }
  const double scale = 255.0 / (hi - lo), offset = mul_rn(static_cast<double>(-lo), scale);
  for (int v = 0; v < 256; ++v)
    lut[v] = clip8(static_cast<int>(mul_rn(static_cast<double>(v), scale) + offset));
}

// equalize's table (PIL's ImageOps.equalize): step = (pixels - count of the highest occupied
// value) // 255; lut[v] = min((step // 2 + sum_{u < v} h[u]) // step, 255); identity when one
// value is occupied or step is 0.
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
    if (step == 0) {
      lut[v] = static_cast<uint8_t>(v);
      continue;
    }
    lut[v] = static_cast<uint8_t>(n / step < 255 ? n / step : 255);
    n += hist[v];
  }
}

BCL_HOST_DEVICE inline void histogram_lut(int32_t op, const int32_t* hist, uint8_t* lut) {
  if (op == static_cast<int32_t>(PolicyOp::AutoContrast)) {
    autocontrast_lut(hist, lut);
  } else {
    equalize_lut(hist, lut);
  }
}

}  // namespace bcl::augment
