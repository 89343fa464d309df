// Per-sample parameters of the batched "autoaug-cutout" CE view (front-end
// tensor/ops_augment_policy.cpp, kernels in augment_policy_batch.*), as plain C++ that g++ and nvcc
// both compile, like augment_params.h.
//
// data::ce_pipeline("autoaug-cutout", norm, size) is
//   random_crop(size, size / 8), random_horizontal_flip(0.5), cifar10_auto_augment(),
//   cutout(size / 2)
// and draw_autoaug_cutout consumes sample_stream's words in that order: two bounded draws for the
// crop, one uniform for the flip, then data::draw_auto_augment's five (the sub-policy, and per step
// "runs?" and its sign), then Cutout's centre. So a batch's views equal the loader's.
//
// The op arguments are functions of (op, magnitude index, sign, view size) alone. All but
// rotate's are exact IEEE arithmetic and are evaluated on the device; rotate's matrix needs cos,
// sin and long double (data::rotate rounds them to 15 decimals), so the host computes it once per
// view size (policy_tables) and the kernels receive it.
#pragma once

#include <cmath>
#include <cstdint>

#include "tensor/kernels/augment_pixels.h"

namespace bcl::augment {

// data::AutoAugmentOp's numbering.
enum class PolicyOp : int32_t {
  ShearX,
  ShearY,
  TranslateX,
  TranslateY,
  Rotate,
  Color,
  Posterize,
  Solarize,
  Contrast,
  Sharpness,
  Brightness,
  AutoContrast,
  Equalize,
  Invert
};
constexpr int32_t kNumPolicyOps = 14;
constexpr int32_t kNumSubPolicies = 25;
// The largest view side the kernels take: the CUDA kernel holds two copies of the view in shared
// memory (2 * 64 * 64 * 3 = 24 KiB beside its histograms).
constexpr int32_t kMaxPolicyViewSize = 64;

struct PolicyStep {
  double p;
  int32_t op;
  int32_t magnitude;
};

// Step k (0 or 1) of sub-policy `policy` of DeepVoltaire's CIFAR10Policy (Cubuk et al. 2019,
// Table 7), data::cifar10_policy()'s table. A local table: nvcc cannot index a namespace-scope
// host array from device code.
BCL_HOST_DEVICE inline PolicyStep cifar10_policy_step(int32_t policy, int32_t k) {
  using O = PolicyOp;
  auto s = [](double p, O op, int32_t m) { return PolicyStep{p, static_cast<int32_t>(op), m}; };
  const PolicyStep table[kNumSubPolicies][2] = {
      {s(0.1, O::Invert, 7), s(0.2, O::Contrast, 6)},
      {s(0.7, O::Rotate, 2), s(0.3, O::TranslateX, 9)},
      {s(0.8, O::Sharpness, 1), s(0.9, O::Sharpness, 3)},
      {s(0.5, O::ShearY, 8), s(0.7, O::TranslateY, 9)},
      {s(0.5, O::AutoContrast, 8), s(0.9, O::Equalize, 2)},
      {s(0.2, O::ShearY, 7), s(0.3, O::Posterize, 7)},
      {s(0.4, O::Color, 3), s(0.6, O::Brightness, 7)},
      {s(0.3, O::Sharpness, 9), s(0.7, O::Brightness, 9)},
      {s(0.6, O::Equalize, 5), s(0.5, O::Equalize, 1)},
      {s(0.6, O::Contrast, 7), s(0.6, O::Sharpness, 5)},
      {s(0.7, O::Color, 7), s(0.5, O::TranslateX, 8)},
      {s(0.3, O::Equalize, 7), s(0.4, O::AutoContrast, 8)},
      {s(0.4, O::TranslateY, 3), s(0.2, O::Sharpness, 6)},
      {s(0.9, O::Brightness, 6), s(0.2, O::Color, 8)},
      {s(0.5, O::Solarize, 2), s(0.0, O::Invert, 3)},
      {s(0.2, O::Equalize, 0), s(0.6, O::AutoContrast, 0)},
      {s(0.2, O::Equalize, 8), s(0.6, O::Equalize, 4)},
      {s(0.9, O::Color, 9), s(0.6, O::Equalize, 6)},
      {s(0.8, O::AutoContrast, 4), s(0.2, O::Solarize, 8)},
      {s(0.1, O::Brightness, 3), s(0.7, O::Color, 0)},
      {s(0.4, O::Solarize, 5), s(0.9, O::AutoContrast, 3)},
      {s(0.9, O::TranslateY, 9), s(0.7, O::TranslateY, 9)},
      {s(0.9, O::AutoContrast, 2), s(0.8, O::Solarize, 3)},
      {s(0.8, O::Equalize, 8), s(0.1, O::Invert, 3)},
      {s(0.7, O::TranslateY, 9), s(0.9, O::AutoContrast, 1)},
  };
  return table[policy][k];
}

// The CE view: a size x size window of the image zero-padded by `padding`, mirrored with
// probability flip_p, then AutoAugment's CIFAR-10 policy, then (cutout > 0) Cutout(cutout).
// Shears and translations fill with `fill` (cifar10_auto_augment's default grey; ce_pipeline keeps
// it), rotations always with 128 grey as DeepVoltaire's rotate does.
struct AutoAugCutoutConfig {
  int32_t size = 32;
  int32_t padding = 4;
  double flip_p = 0.5;
  int32_t cutout = 16;
  uint8_t fill[3] = {128, 128, 128};
};

// ce_pipeline("autoaug-cutout", ...)'s settings for a view side: padding size / 8, cutout size / 2.
inline AutoAugCutoutConfig autoaug_cutout_config(int32_t size) {
  AutoAugCutoutConfig cfg;
  cfg.size = size;
  cfg.padding = size / 8;
  cfg.cutout = size / 2;
  return cfg;
}

// One sample's draw. The view starts as the image's pixel (top + y, left + (flip ? size - 1 - x :
// x)) (0 outside the image); step k of sub-policy `policy` (op[k] at magnitude index
// magnitude[k], with sign[k] = +1 or -1) runs when apply[k]; the cutout rectangle
// [cut_y0, cut_y1) x [cut_x0, cut_x1) (empty when there is none) is zeroed last. The pixel
// kernels read op and magnitude, not policy, so fixed params may name any op.
struct AutoAugCutoutParams {
  int32_t top = 0, left = 0;
  int32_t flip = 0;
  int32_t policy = 0;
  int32_t op[2] = {0, 0};
  int32_t magnitude[2] = {0, 0};
  int32_t sign[2] = {1, 1};
  int32_t apply[2] = {0, 0};
  int32_t cut_y0 = 0, cut_y1 = 0, cut_x0 = 0, cut_x1 = 0;
};
constexpr int64_t kAutoAugCutoutWords = sizeof(AutoAugCutoutParams) / 8;
static_assert(sizeof(AutoAugCutoutParams) % 8 == 0, "params must fill whole Int64 words");

// The whole draw, in ce_pipeline's order (see the top of this file). random_sign is -1 when its
// uniform is below 0.5. Needs height, width + 2 padding >= size.
BCL_HOST_DEVICE inline AutoAugCutoutParams draw_autoaug_cutout(const AutoAugCutoutConfig& cfg,
                                                               int64_t height, int64_t width,
                                                               PhiloxStream& g) {
  AutoAugCutoutParams p;
  const int64_t slack_y = height + 2 * cfg.padding - cfg.size;
  const int64_t slack_x = width + 2 * cfg.padding - cfg.size;
  p.top = static_cast<int32_t>(g.below(static_cast<uint64_t>(slack_y) + 1)) - cfg.padding;
  p.left = static_cast<int32_t>(g.below(static_cast<uint64_t>(slack_x) + 1)) - cfg.padding;
  p.flip = g.next_uniform() < cfg.flip_p;
  p.policy = static_cast<int32_t>(g.below(static_cast<uint64_t>(kNumSubPolicies)));
  for (int32_t k = 0; k < 2; ++k) {
    const PolicyStep s = cifar10_policy_step(p.policy, k);
    p.op[k] = s.op;
    p.magnitude[k] = s.magnitude;
    p.apply[k] = g.next_uniform() < s.p;
    p.sign[k] = g.next_uniform() < 0.5 ? -1 : 1;
  }
  if (cfg.cutout > 0) {
    const auto cy = static_cast<int32_t>(g.below(static_cast<uint64_t>(cfg.size)));
    const auto cx = static_cast<int32_t>(g.below(static_cast<uint64_t>(cfg.size)));
    const int32_t half = cfg.cutout / 2;
    p.cut_y0 = clamp_i32(cy - half, 0, cfg.size);
    p.cut_y1 = clamp_i32(cy + half, 0, cfg.size);
    p.cut_x0 = clamp_i32(cx - half, 0, cfg.size);
    p.cut_x1 = clamp_i32(cx + half, 0, cfg.size);
  }
  return p;
}

// ---- Op arguments ----------------------------------------------------------------------------

// numpy.linspace(lo, hi, 10)[i] = lo + i (hi - lo) / 9, as data::auto_augment_magnitude computes
// it: one fused multiply-add under g++ -O3 -march=native. Only the solarize thresholds (lo = 256)
// can feel the fusing, and for i in 1..8 they lie at least 0.4 from an integer, where one ulp
// cannot change a table entry; the other ops have lo = 0 or are rounded to whole bits.
BCL_HOST_DEVICE inline double policy_linspace(double lo, double hi, int32_t i) {
  return fma_rn(static_cast<double>(i), (hi - lo) / 9.0, lo);
}

// data::auto_augment_magnitude: the value magnitude index i stands for, before any sign.
BCL_HOST_DEVICE inline double policy_magnitude(int32_t op, int32_t i) {
  switch (static_cast<PolicyOp>(op)) {
    case PolicyOp::ShearX:
    case PolicyOp::ShearY:
      return policy_linspace(0, 0.3, i);
    case PolicyOp::TranslateX:
    case PolicyOp::TranslateY:
      return policy_linspace(0, 150.0 / 331.0, i);
    case PolicyOp::Rotate:
      return policy_linspace(0, 30, i);
    case PolicyOp::Color:
    case PolicyOp::Contrast:
    case PolicyOp::Sharpness:
    case PolicyOp::Brightness:
      return policy_linspace(0, 0.9, i);
    case PolicyOp::Posterize:
      return round_away(policy_linspace(8, 4, i));  // 8 8 7 7 6 6 5 5 4 4: never a tie
    case PolicyOp::Solarize:
      return policy_linspace(256, 0, i);
    default:
      return 0;
  }
}

// A geometric step as data::affine runs it (see augment_policy_pixels.h): the inverse map m (input
// = m applied to the output pixel's centre), the path PIL takes, and the colour outside.
enum WarpKind : int32_t {
  kWarpNone,     // the image unchanged (rotate by a multiple of 360 degrees)
  kWarpBicubic,  // PIL's generic transform with the bicubic filter (the shears)
  kWarpScale,    // nearest, m1 = m3 = 0: ImagingScaleAffine's stepped sums (the translations)
  kWarpFixed,    // nearest: affine_fixed's 16.16 fixed point (the rotations)
  kWarpMapped    // nearest, coordinates beyond fixed point's range: each centre mapped
};
struct Warp {
  int32_t kind = kWarpNone;
  uint8_t fill[3] = {0, 0, 0};
  uint8_t unused = 0;
  double m[6] = {1, 0, 0, 0, 1, 0};
};

// What the host computes for the kernels: rotate's warp for each magnitude index.
struct PolicyTables {
  Warp rotate[10];
};

// data::rotate(img, degrees, Nearest, 128 grey) on a size x size view (host only): Python's
// angle % 360, a = -angle in radians, cos and sin rounded to 15 decimals (Python's round(v, 15),
// in long double as data::rotate does), centre (size / 2, size / 2); then data::affine's choice of
// nearest path.
inline Warp rotation_warp(double degrees, int32_t size) {
  Warp w;
  for (uint8_t& f : w.fill) f = 128;
  double angle = std::fmod(degrees, 360.0);
  if (angle < 0) angle += 360.0;
  if (angle == 0) return w;
  const double rad = -(angle * (M_PI / 180.0));
  auto round15 = [](double v) {
    const long double n = std::nearbyintl(static_cast<long double>(v) * 1e15L);
    return static_cast<double>(n) / 1e15;
  };
  const double ca = round15(std::cos(rad)), sa = round15(std::sin(rad)),
               msa = round15(-std::sin(rad));
  const double c = size / 2.0;
  const double m[6] = {ca,  sa, mul_rn(ca, -c) + mul_rn(sa, -c) + c,
                       msa, ca, mul_rn(msa, -c) + mul_rn(ca, -c) + c};
  for (int k = 0; k < 6; ++k) w.m[k] = m[k];
  auto fits = [&](double x, double y) {
    return std::fabs(x * m[0] + y * m[1] + m[2]) < 32768.0 &&
           std::fabs(x * m[3] + y * m[4] + m[5]) < 32768.0;
  };
  const auto s = static_cast<double>(size);
  if (m[1] == 0 && m[3] == 0) {
    w.kind = kWarpScale;
  } else if (fits(0, 0) && fits(s, s) && fits(0, s) && fits(s, 0)) {
    w.kind = kWarpFixed;
  } else {
    w.kind = kWarpMapped;
  }
  return w;
}

inline PolicyTables policy_tables(const AutoAugCutoutConfig& cfg) {
  PolicyTables t;
  for (int32_t i = 0; i < 10; ++i)
    t.rotate[i] =
        rotation_warp(policy_magnitude(static_cast<int32_t>(PolicyOp::Rotate), i), cfg.size);
  return t;
}

}  // namespace bcl::augment
