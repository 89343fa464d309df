// Pixel math of the batched RandAugment views, shared by the CPU twin (augment_rand_batch.cpp) and
// the CUDA kernels (augment_rand_batch.cu). Eleven of timm's fifteen ops are the PIL calls
// AutoAugment makes too (augment_policy_pixels.h: the enhance ops, posterize, solarize,
// autocontrast, equalize, invert, bicubic warps); this header adds what RandAugment has besides:
// SolarizeAdd, bilinear resampling of the warps, rotations that fill with the given colour, and
// the translation of a RandStep into the step the kernels run. Every rounding is explicit (see
// augment_params.h), so both compilers give the same bytes.
#pragma once

#include <cstdint>

#include "tensor/kernels/augment_policy_pixels.h"
#include "tensor/kernels/augment_rand.h"

namespace bcl::augment {

// Warp::kind for PIL's generic transform with the bilinear filter (beside augment_policy.h's
// WarpKind values).
constexpr int32_t kWarpBilinear = 16;

// How the kernels run one RandAugment step: its StepClass (augment_policy_pixels.h), the
// AutoAugment step that is the same PIL call (spec.op a PolicyOp, or -1) with its warp for the
// geometric ops, and SolarizeAdd's addend (-1 for every other op).
struct RandStepPlan {
  int32_t cls = kStepNothing;
  int32_t solarize_add = -1;
  StepSpec spec;
};

// data::apply_rand_augment_step's call for step s: posterize(min(8, int(v))), solarize(v),
// solarize_add(int(v), 128), the enhance ops with factor float(v), the warps with s.m, s.resample
// and `fill`. A step that does not run, names no op, or is a rotation data returns unchanged, is
// kStepNothing. Arguments are clamped so that bad params (which the CPU front-end refuses) stay
// memory-safe on the GPU.
BCL_HOST_DEVICE inline RandStepPlan rand_step_plan(const RandStep& s, const uint8_t* fill) {
  RandStepPlan plan;
  if (!s.applied || s.op < 0 || s.op >= kNumRandOps) return plan;
  const double v = s.argument;
  auto as_policy = [&](PolicyOp op) {
    plan.spec.op = static_cast<int32_t>(op);
    plan.cls = step_class(plan.spec.op);
  };
  switch (static_cast<RandOp>(s.op)) {
    case RandOp::AutoContrast:
      as_policy(PolicyOp::AutoContrast);
      break;
    case RandOp::Equalize:
      as_policy(PolicyOp::Equalize);
      break;
    case RandOp::Invert:
      as_policy(PolicyOp::Invert);
      break;
    case RandOp::Posterize:
      as_policy(PolicyOp::Posterize);
      plan.spec.bits = v >= 8 ? 8 : v > 0 ? static_cast<int32_t>(v) : 0;
      break;
    case RandOp::Solarize:
      as_policy(PolicyOp::Solarize);
      plan.spec.threshold = v;
      break;
    case RandOp::SolarizeAdd:
      plan.cls = kStepPoint;
      plan.solarize_add = v >= 255 ? 255 : v > 0 ? static_cast<int32_t>(v) : 0;
      break;
    case RandOp::Color:
      as_policy(PolicyOp::Color);
      plan.spec.factor = static_cast<float>(v);
      break;
    case RandOp::Contrast:
      as_policy(PolicyOp::Contrast);
      plan.spec.factor = static_cast<float>(v);
      break;
    case RandOp::Brightness:
      as_policy(PolicyOp::Brightness);
      plan.spec.factor = static_cast<float>(v);
      break;
    case RandOp::Sharpness:
      as_policy(PolicyOp::Sharpness);
      plan.spec.factor = static_cast<float>(v);
      break;
    default:  // Rotate, the shears and the translations
      if (!s.warp) break;
      plan.cls = kStepWarp;
      plan.spec.warp.kind = s.resample == kRandBicubic ? kWarpBicubic : kWarpBilinear;
      for (int c = 0; c < 3; ++c) plan.spec.warp.fill[c] = fill[c];
      for (int k = 0; k < 6; ++k) plan.spec.warp.m[k] = s.m[k];
      break;
  }
  return plan;
}

// bilinear_filter32RGB at (xin, yin) (pixel centres at +0.5) of channel c, as data::affine's
// interpolate: columns clamped to the view, the first row clamped and the second, past the bottom
// edge, repeating the first; each row a + (b - a) dx, then v1 + (v2 - v1) dy, the products rounded
// on their own, truncated to a byte (a convex combination, so no clamp is needed).
BCL_HOST_DEVICE inline uint8_t pil_bilinear(const uint8_t* src, int32_t size, double xin,
                                            double yin, int c) {
  xin -= 0.5;
  yin -= 0.5;
  const int x = pil_floor(xin), y = pil_floor(yin);
  const double dx = xin - x, dy = yin - y;
  auto clip = [size](int v) { return v < 0 ? 0 : v < size ? v : size - 1; };
  const int x0 = clip(x), x1 = clip(x + 1);
  auto row = [&](int yy) {
    const uint8_t* r = src + static_cast<int64_t>(yy) * size * 3 + c;
    const double a = r[3 * x0], b = r[3 * x1];
    return a + mul_rn(b - a, dx);
  };
  const double v1 = row(clip(y));
  const double v2 = (y + 1 >= 0 && y + 1 < size) ? row(y + 1) : v1;
  return static_cast<uint8_t>(v1 + mul_rn(v2 - v1, dy));
}

// Output pixel q of data::affine(src, w.m, Bilinear or Bicubic, w.fill) on a size x size view,
// written to dst: PIL's generic transform maps the pixel's centre, fills outside the view and
// interpolates inside.
BCL_HOST_DEVICE inline void rand_warp_pixel(const Warp& w, const uint8_t* src, int32_t size,
                                            int64_t q, uint8_t* dst) {
  if (w.kind != kWarpBilinear) {
    warp_pixel(w, src, size, q, dst);
    return;
  }
  const int64_t y = q / size, x = q % size;
  const double* m = w.m;
  const double cx = static_cast<double>(x) + 0.5, cy = static_cast<double>(y) + 0.5;
  const double xin = mul_rn(m[0], cx) + mul_rn(m[1], cy) + m[2];
  const double yin = mul_rn(m[3], cx) + mul_rn(m[4], cy) + m[5];
  uint8_t* out = dst + 3 * q;
  if (xin < 0.0 || xin >= size || yin < 0.0 || yin >= size) {
    for (int c = 0; c < 3; ++c) out[c] = w.fill[c];
  } else {
    for (int c = 0; c < 3; ++c) out[c] = pil_bilinear(src, size, xin, yin, c);
  }
}

// One pixel (RGB, in place) of a kStepMean, kStepHistogram or kStepPoint step, as point_pixel;
// SolarizeAdd is timm's lut: v + add clipped to 255 below the threshold 128, v from 128 up.
BCL_HOST_DEVICE inline void rand_point_pixel(const RandStepPlan& plan, uint8_t mean,
                                             const uint8_t* luts, uint8_t* px) {
  if (plan.solarize_add >= 0) {
    for (int c = 0; c < 3; ++c)
      px[c] = static_cast<uint8_t>(px[c] < 128 ? clip8(px[c] + plan.solarize_add) : px[c]);
    return;
  }
  point_pixel(plan.spec, mean, luts, px);
}

// Pixel q of the "randaug" view before RandAugment: crop(img, top, left, size, size) (zeros
// outside the image), then hflip.
BCL_HOST_DEVICE inline void randaug_crop_pixel(const uint8_t* img, int64_t height, int64_t width,
                                               const RandAugParams& p, int32_t size, int64_t q,
                                               uint8_t* view) {
  const int64_t y = q / size, x = q % size;
  const int64_t sy = p.top + y, sx = p.left + (p.flip ? size - 1 - x : x);
  const bool inside = sy >= 0 && sy < height && sx >= 0 && sx < width;
  for (int c = 0; c < 3; ++c) view[3 * q + c] = inside ? img[(sy * width + sx) * 3 + c] : 0;
}

// Pixel q of the sim view before its colour steps: the crop box resized bilinearly to
// size x size, mirrored (output column x samples the resized box at size - 1 - x), as
// augment_batch's sim kernels render it. img is the whole image, `width` its row length.
BCL_HOST_DEVICE inline void sim_crop_pixel(const uint8_t* img, int64_t width, const SimParams& p,
                                           int32_t size, int64_t q, uint8_t* view) {
  const int64_t y = q / size, x = q % size;
  const uint8_t* box = img + (static_cast<int64_t>(p.top) * width + p.left) * 3;
  const Tap ty = bilinear_tap(y, p.height, size);
  const Tap tx = bilinear_tap(p.flip ? size - 1 - x : x, p.width, size);
  for (int c = 0; c < 3; ++c) view[3 * q + c] = bilinear_value(box, width, ty, tx, c);
}

}  // namespace bcl::augment
