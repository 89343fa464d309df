// Per-sample parameters of the batched RandAugment views (tensor/ops_augment_rand.cpp, kernels in
// augment_rand_batch.*), as plain C++ that g++ and nvcc both compile, like augment_params.h:
//   "rand"     data::rand_pipeline(norm, size, fill): the sim view (random resized crop, flip,
//              colour jitter, grayscale), then RandAugment rand-n2-m10-mstd0.5 filling with fill
//   "randaug"  data::ce_pipeline("randaug", norm, size, fill): random_crop(size, size / 8), flip,
//              then the same RandAugment
// draw_rand_view and draw_randaug consume sample_stream's words in those pipelines' order: draw_sim
// (or the crop's two bounded draws and the flip's uniform), then per RandAugment slot
// data::draw_rand_augment's: the op (below(15)), "runs?" (a uniform), and for a slot that runs the
// magnitude's normal (two uniforms, Box-Muller), the sign (a uniform, signed ops only) and the
// resampling (a uniform). So a batch's views equal the loader's.
//
// Exactness across devices: the draws are exact IEEE arithmetic except the transcendental
// functions: the normal's log and cos, the sim box's exp (see augment_params.h) and a rotation's
// cos and sin. CUDA's are within 1 or 2 ulp of glibc's, so on the GPU a drawn magnitude, argument
// or rotation matrix may differ from the CPU's in its last bits (rotate's matrix, rounded to 15
// decimals, then by 1e-15). Those values change a pixel only when an interpolated value lies within
// about 1e-13 of a whole byte, which a continuous draw meets with negligible probability.
// Everything after the draw is exact: the params carry each warp's matrix, so given the same params
// both devices render the same bytes.
#pragma once

#include <cmath>
#include <cstdint>

#include "tensor/kernels/augment_policy.h"

namespace bcl::augment {

// data::RandAugmentOp's numbering (timm's _RAND_TRANSFORMS order).
enum class RandOp : int32_t {
  AutoContrast,
  Equalize,
  Invert,
  Rotate,
  Posterize,
  Solarize,
  SolarizeAdd,
  Color,
  Contrast,
  Brightness,
  Sharpness,
  ShearX,
  ShearY,
  TranslateXRel,
  TranslateYRel
};
constexpr int32_t kNumRandOps = 15;
// Slots per view the params hold (BCL's n = 2).
constexpr int32_t kMaxRandOps = 2;
// timm's _LEVEL_DENOM and the clip of the noisy magnitude.
constexpr double kRandMaxLevel = 10.0;

// data::RandAugmentOptions: num_ops slots (<= kMaxRandOps), magnitude ~ N(magnitude,
// magnitude_std) clipped to [0, 10] (no noise when magnitude_std is 0), each slot run with
// probability prob; geometric ops fill with `fill`.
struct RandAugmentSpec {
  int32_t num_ops = 2;
  double magnitude = 10;
  double magnitude_std = 0.5;
  double prob = 0.5;
  uint8_t fill[3] = {128, 128, 128};
};

enum RandResample : int32_t { kRandBilinear = 0, kRandBicubic = 1 };

// One slot's draw, data::RandAugmentStep's fields plus what the pixels need: `warp` is 1 when the
// step is an affine warp with inverse map m (the geometric ops, except a rotation by a multiple of
// 360 degrees, which data::rotate returns unchanged). magnitude and argument are 0 when the slot
// does not run.
struct RandStep {
  int32_t op = 0;
  int32_t applied = 0;
  int32_t resample = kRandBilinear;
  int32_t warp = 0;
  double magnitude = 0;
  double argument = 0;
  double m[6] = {1, 0, 0, 0, 1, 0};
};

// The "rand" view: sim's configuration (its size is the view's) and RandAugment's.
struct RandViewConfig {
  SimConfig sim;
  RandAugmentSpec rand;
};
struct RandViewParams {
  SimParams sim;
  RandStep step[kMaxRandOps];
};

// The "randaug" CE view: a size x size window of the image zero-padded by `padding`, mirrored with
// probability flip_p, then RandAugment.
struct RandAugConfig {
  int32_t size = 32;
  int32_t padding = 4;
  double flip_p = 0.5;
  RandAugmentSpec rand;
};
// The view starts as the image's pixel (top + y, left + (flip ? size - 1 - x : x)), 0 outside.
struct RandAugParams {
  int32_t top = 0, left = 0;
  int32_t flip = 0;
  int32_t unused = 0;
  RandStep step[kMaxRandOps];
};

constexpr int64_t kRandViewWords = sizeof(RandViewParams) / 8;
constexpr int64_t kRandAugWords = sizeof(RandAugParams) / 8;
static_assert(sizeof(RandStep) % 8 == 0 && sizeof(RandViewParams) % 8 == 0 &&
                  sizeof(RandAugParams) % 8 == 0,
              "params must fill whole Int64 words");

// The pipelines' settings for a view side: sim's defaults (sim_ops) or the CE crop's size / 8
// padding, RandAugment rand-n2-m10-mstd0.5 filling with `fill` (BCL: the dataset's mean colour,
// data::mean_fill_colour).
// fill: 3 values.
inline RandViewConfig rand_view_config(int32_t size, const uint8_t* fill) {
  RandViewConfig cfg;
  cfg.sim.size = size;
  for (int c = 0; c < 3; ++c) cfg.rand.fill[c] = fill[c];
  return cfg;
}
inline RandAugConfig randaug_config(int32_t size, const uint8_t* fill) {
  RandAugConfig cfg;
  cfg.size = size;
  cfg.padding = size / 8;
  for (int c = 0; c < 3; ++c) cfg.rand.fill[c] = fill[c];
  return cfg;
}

// ---- Transcendental functions (see the top of this file) ------------------------------------

BCL_HOST_DEVICE inline double log_d(double x) {
#ifdef __CUDA_ARCH__
  return ::log(x);
#else
  return std::log(x);
#endif
}
BCL_HOST_DEVICE inline double cos_d(double x) {
#ifdef __CUDA_ARCH__
  return ::cos(x);
#else
  return std::cos(x);
#endif
}
BCL_HOST_DEVICE inline double sin_d(double x) {
#ifdef __CUDA_ARCH__
  return ::sin(x);
#else
  return std::sin(x);
#endif
}

// Python's round(v, 15) for |v| <= 1 without long double (the device has none): v 1e15 split
// exactly into p + e (an FMA gives the product's rounding error) and rounded half to even as a
// whole; p - rint(p) is exact, since |p| < 2^50 makes p's ulp at most 1/8, and only a tie of p
// needs e to decide.
BCL_HOST_DEVICE inline double round15_split(double v) {
  const double p = mul_rn(v, 1e15), e = fma_rn(v, 1e15, -p);
  double n = round_half_even(p);
  const double frac = p - n;
  if (frac == 0.5 && e > 0) n += 1;
  if (frac == -0.5 && e < 0) n -= 1;
  return n / 1e15;
}

// round(v, 15) as data::rotate computes it: nearbyintl(v 1e15L) / 1e15 on the host. The x87
// product rounds to 64 bits, so round15_split, used on the device, differs from it only when
// v 1e15 lies within about 1e-4 of a half.
BCL_HOST_DEVICE inline double round15(double v) {
#ifdef __CUDA_ARCH__
  return round15_split(v);
#else
  const long double n = std::nearbyintl(static_cast<long double>(v) * 1e15L);
  return static_cast<double>(n) / 1e15;
#endif
}

// ---- The draws -------------------------------------------------------------------------------

// data's standard_normal (Box-Muller): sqrt(-2 log u1) cos(2 pi u2), u1 = 1 - U in (0, 1]; the
// products rounded one by one, as g++ compiles it (2 pi is one constant).
BCL_HOST_DEVICE inline double standard_normal(PhiloxStream& g) {
  const double u1 = 1.0 - g.next_uniform();
  const double u2 = g.next_uniform();
  return mul_rn(sqrt_rn(mul_rn(-2.0, log_d(u1))), cos_d(mul_rn(2.0 * M_PI, u2)));
}

BCL_HOST_DEVICE inline bool rand_op_is_signed(int32_t op) {
  switch (static_cast<RandOp>(op)) {
    case RandOp::Rotate:
    case RandOp::ShearX:
    case RandOp::ShearY:
    case RandOp::TranslateXRel:
    case RandOp::TranslateYRel:
      return true;
    default:
      return false;
  }
}

// data::rand_augment_argument (timm's level functions) of a magnitude in [0, 10], before the sign:
// level = m / 10; rotate 30 level degrees, shear 0.3 level, translate 0.45 level of the size,
// posterize int(4 level) bits, solarize threshold int(256 level), solarize_add int(110 level), the
// enhance ops' factor 1.8 level + 0.1 (one fused multiply-add, as g++ -O3 -march=native compiles
// data/auto_augment.cpp), none for the rest.
BCL_HOST_DEVICE inline double rand_argument(int32_t op, double magnitude) {
  const double level = magnitude / kRandMaxLevel;
  switch (static_cast<RandOp>(op)) {
    case RandOp::Rotate:
      return level * 30.0;
    case RandOp::ShearX:
    case RandOp::ShearY:
      return level * 0.3;
    case RandOp::TranslateXRel:
    case RandOp::TranslateYRel:
      return level * 0.45;
    case RandOp::Posterize:
      return static_cast<int>(level * 4);
    case RandOp::Solarize:
      return static_cast<int>(level * 256);
    case RandOp::SolarizeAdd:
      return static_cast<int>(level * 110);
    case RandOp::Color:
    case RandOp::Contrast:
    case RandOp::Brightness:
    case RandOp::Sharpness:
      return fma_rn(level, 1.8, 0.1);
    default:
      return 0;
  }
}

// The inverse map of step s's geometric op (its op and signed argument) on a size x size view, as
// data::apply_rand_augment_step builds it: shear_x/y (1, v, 0, 0, 1, 0) / (1, 0, 0, v, 1, 0),
// translate_x/y by v size pixels, and data::rotate(v): Python's v % 360 (none when 0), a = -angle
// in radians, cos and sin rounded to 15 decimals, centre (size / 2, size / 2). Sets s.warp.
BCL_HOST_DEVICE inline void set_rand_warp(RandStep& s, int32_t size) {
  const double v = s.argument;
  const double m_identity[6] = {1, 0, 0, 0, 1, 0};
  for (int k = 0; k < 6; ++k) s.m[k] = m_identity[k];
  s.warp = 1;
  switch (static_cast<RandOp>(s.op)) {
    case RandOp::ShearX:
      s.m[1] = v;
      break;
    case RandOp::ShearY:
      s.m[3] = v;
      break;
    case RandOp::TranslateXRel:
      s.m[2] = mul_rn(v, static_cast<double>(size));
      break;
    case RandOp::TranslateYRel:
      s.m[5] = mul_rn(v, static_cast<double>(size));
      break;
    case RandOp::Rotate: {
      double angle = fmod_d(v, 360.0);
      if (angle < 0) angle += 360.0;
      if (angle == 0) {
        s.warp = 0;
        break;
      }
      const double rad = -mul_rn(angle, M_PI / 180.0);
      const double ca = round15(cos_d(rad)), sa = round15(sin_d(rad)), msa = round15(-sin_d(rad));
      const double c = size / 2.0;
      s.m[0] = ca;
      s.m[1] = sa;
      s.m[2] = mul_rn(ca, -c) + mul_rn(sa, -c) + c;
      s.m[3] = msa;
      s.m[4] = ca;
      s.m[5] = mul_rn(msa, -c) + mul_rn(ca, -c) + c;
      break;
    }
    default:
      s.warp = 0;
      break;
  }
}

// A slot that runs op at `magnitude` (already noisy and clipped) with the sign and resampling
// given: the argument and the warp, as the draw makes them. For fixed params (tests).
BCL_HOST_DEVICE inline RandStep rand_step(int32_t op, double magnitude, int32_t sign,
                                          int32_t resample, int32_t size) {
  RandStep s;
  s.op = op;
  s.applied = 1;
  s.magnitude = magnitude;
  s.argument = rand_argument(op, magnitude);
  if (rand_op_is_signed(op) && sign < 0) s.argument = -s.argument;
  s.resample = resample;
  set_rand_warp(s, size);
  return s;
}

// data::draw_rand_augment on a size x size view, into steps[0, num_ops); the rest stay empty.
// timm runs a slot unless its uniform is above prob, negates a signed argument when its uniform
// is above 0.5, and picks bilinear when the resampling uniform is below 0.5. The noisy magnitude
// is one fused multiply-add, m + mstd z, as g++ compiles data's m += mstd * z.
BCL_HOST_DEVICE inline void draw_rand_steps(const RandAugmentSpec& spec, int32_t size,
                                            PhiloxStream& g, RandStep (&steps)[kMaxRandOps]) {
  for (int32_t k = 0; k < kMaxRandOps; ++k) steps[k] = RandStep();
  const int32_t n = spec.num_ops < kMaxRandOps ? spec.num_ops : kMaxRandOps;
  for (int32_t k = 0; k < n; ++k) {
    RandStep& s = steps[k];
    s.op = static_cast<int32_t>(g.below(static_cast<uint64_t>(kNumRandOps)));
    s.applied = !(g.next_uniform() > spec.prob);
    if (!s.applied) continue;
    double m = spec.magnitude;
    if (spec.magnitude_std > 0) m = fma_rn(spec.magnitude_std, standard_normal(g), m);
    s.magnitude = m < 0.0 ? 0.0 : kRandMaxLevel < m ? kRandMaxLevel : m;  // std::clamp
    s.argument = rand_argument(s.op, s.magnitude);
    if (rand_op_is_signed(s.op) && g.next_uniform() > 0.5) s.argument = -s.argument;
    s.resample = g.next_uniform() < 0.5 ? kRandBilinear : kRandBicubic;
    set_rand_warp(s, size);
  }
}

// The "rand" view's draw: draw_sim, then RandAugment on the sim view (cfg.sim.size square).
// log_ratio_lo/hi as for draw_sim.
BCL_HOST_DEVICE inline RandViewParams draw_rand_view(const RandViewConfig& cfg, double log_ratio_lo,
                                                     double log_ratio_hi, int64_t height,
                                                     int64_t width, PhiloxStream& g) {
  RandViewParams p;
  p.sim = draw_sim(cfg.sim, log_ratio_lo, log_ratio_hi, height, width, g);
  draw_rand_steps(cfg.rand, cfg.sim.size, g, p.step);
  return p;
}

// The "randaug" view's draw: random_crop's top and left (uniform over the padded image's slack),
// the flip, then RandAugment. Needs height, width + 2 padding >= size.
BCL_HOST_DEVICE inline RandAugParams draw_randaug(const RandAugConfig& cfg, int64_t height,
                                                  int64_t width, PhiloxStream& g) {
  RandAugParams p;
  const int64_t slack_y = height + 2 * cfg.padding - cfg.size;
  const int64_t slack_x = width + 2 * cfg.padding - cfg.size;
  p.top = static_cast<int32_t>(g.below(static_cast<uint64_t>(slack_y) + 1)) - cfg.padding;
  p.left = static_cast<int32_t>(g.below(static_cast<uint64_t>(slack_x) + 1)) - cfg.padding;
  p.flip = g.next_uniform() < cfg.flip_p;
  draw_rand_steps(cfg.rand, cfg.size, g, p.step);
  return p;
}

}  // namespace bcl::augment
