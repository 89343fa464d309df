// The random draws of every augmentation, written once as plain C++ that g++ and nvcc both compile:
// the CPU loader's ops (data/augment.cpp, data/auto_augment.cpp) call them with a bcl::Generator,
// the batched ops (data/augment_batch.*) with a PhiloxStream per sample, on the host or the GPU.
//
// The loader hands view `view` of sample `index` in epoch `epoch` the Generator
// augment_generator(seed, epoch, index, view); sample_stream(key, index) is that Generator (the
// seed from data::derive_seed, then Philox blocks 0, 1, 2, ... handing out their words in order).
// A pipeline's ops consume it in order, and a batched view's draw calls the same sub-draws in the
// same order, so a batch's views equal the loader's.
//
// Rounding: the files that include this header are compiled with -ffp-contract=off (g++) and
// --fmad=false (nvcc), so a * b + c rounds twice unless it is written fma(). Every step is then an
// exactly specified IEEE operation on both devices except the transcendental functions (the box
// draw's exp, the normal's log and cos, a rotation's cos and sin), which CUDA computes within 1 or
// 2 ulp of glibc: on a GPU such a draw may differ from the CPU's in its last bits, which moves a
// pixel only in the rare draw that straddles a rounding boundary.
#pragma once

#include <cmath>
#include <cstdint>

#include "tensor/host_device.h"

namespace bcl::augment {

// ---- Philox 4x32-10 and the Generator's stream ----------------------------------------------

// tensor/random.cpp's philox4x32_10, in place on the counter c under key (k0, k1).
BCL_HOST_DEVICE inline void philox4x32_10(uint32_t (&c)[4], uint32_t k0, uint32_t k1) {
  constexpr uint64_t kM0 = 0xD2511F53, kM1 = 0xCD9E8D57;
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      k0 += 0x9E3779B9;
      k1 += 0xBB67AE85;
    }
    const uint64_t p0 = kM0 * c[0], p1 = kM1 * c[2];
    const uint32_t n0 = static_cast<uint32_t>(p1 >> 32) ^ c[1] ^ k0;
    const uint32_t n2 = static_cast<uint32_t>(p0 >> 32) ^ c[3] ^ k1;
    c[1] = static_cast<uint32_t>(p1);
    c[3] = static_cast<uint32_t>(p0);
    c[0] = n0;
    c[2] = n2;
  }
}

// bcl::Generator with its seed and offset 0: block b is Philox of counter (b, 0, 0, 0) under the
// seed, its 4 words handed out in order; next_uniform is Generator's, 53 bits times 2^-53.
struct PhiloxStream {
  uint64_t seed = 0, block = 0;
  uint32_t words[4] = {0, 0, 0, 0};
  int buffered = 0;

  BCL_HOST_DEVICE explicit PhiloxStream(uint64_t s) : seed(s) {}
  BCL_HOST_DEVICE uint32_t next_u32() {
    if (buffered == 0) {
      words[0] = static_cast<uint32_t>(block);
      words[1] = static_cast<uint32_t>(block >> 32);
      words[2] = words[3] = 0;
      philox4x32_10(words, static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32));
      ++block;
      buffered = 4;
    }
    return words[4 - buffered--];
  }
  BCL_HOST_DEVICE double next_uniform() {
    const uint64_t hi = next_u32(), lo = next_u32();
    return static_cast<double>(((hi << 32) | lo) >> 11) * 0x1.0p-53;
  }
};

// What a sample's augmentation depends on besides its index.
struct SampleKey {
  uint64_t seed = 0;
  int64_t epoch = 0;
  int32_t view = 0;
};

// augment_generator(seed, epoch, index, view): the seed is Philox of counter (index low, index
// high, epoch, view) under the base seed, its first two words joined.
BCL_HOST_DEVICE inline PhiloxStream sample_stream(const SampleKey& key, int64_t index) {
  const auto i = static_cast<uint64_t>(index);
  uint32_t c[4] = {static_cast<uint32_t>(i), static_cast<uint32_t>(i >> 32),
                   static_cast<uint32_t>(key.epoch), static_cast<uint32_t>(key.view)};
  philox4x32_10(c, static_cast<uint32_t>(key.seed), static_cast<uint32_t>(key.seed >> 32));
  return PhiloxStream((static_cast<uint64_t>(c[0]) << 32) | c[1]);
}

// data::random_below: uniform in [0, n), n >= 1, by rejection of the 2^64 mod n lowest values.
// Rng is bcl::Generator or PhiloxStream (next_u32, next_uniform).
template <class Rng>
BCL_HOST_DEVICE uint64_t below(Rng& g, uint64_t n) {
  const uint64_t threshold = (0 - n) % n;
  for (;;) {
    const uint64_t hi = g.next_u32();
    const uint64_t x = (hi << 32) | g.next_u32();
    if (x >= threshold) return x % n;
  }
}
// lo + (hi - lo) u, one fused multiply-add.
template <class Rng>
BCL_HOST_DEVICE double uniform(Rng& g, double lo, double hi) {
  return ::fma(hi - lo, g.next_uniform(), lo);
}
// Box-Muller: sqrt(-2 log u1) cos(2 pi u2), u1 = 1 - U in (0, 1].
template <class Rng>
BCL_HOST_DEVICE double standard_normal(Rng& g) {
  const double u1 = 1.0 - g.next_uniform();
  const double u2 = g.next_uniform();
  return ::sqrt(-2.0 * ::log(u1)) * ::cos(2.0 * M_PI * u2);
}

BCL_HOST_DEVICE inline int32_t clamp_i32(int64_t v, int64_t lo, int64_t hi) {
  return static_cast<int32_t>(v < lo ? lo : v > hi ? hi : v);
}

// ---- Crops, flips, Cutout ---------------------------------------------------------------------

// random_crop(size, padding) on height x width: top and left uniform over the padded image's
// slack, [-padding, H + padding - size]. Needs height, width + 2 padding >= size.
template <class Rng>
BCL_HOST_DEVICE void draw_crop(Rng& g, int64_t height, int64_t width, int64_t size, int64_t padding,
                               int32_t& top, int32_t& left) {
  top = static_cast<int32_t>(below(g, static_cast<uint64_t>(height + 2 * padding - size) + 1));
  left = static_cast<int32_t>(below(g, static_cast<uint64_t>(width + 2 * padding - size) + 1));
  top -= static_cast<int32_t>(padding);
  left -= static_cast<int32_t>(padding);
}

// Cutout(length) on height x width (one hole, as the BCL code's): centre (cy, cx) uniform over the
// pixels; rows [y0, y1) = [cy - length/2, cy + length/2) and the same columns, clipped.
template <class Rng>
BCL_HOST_DEVICE void draw_cutout(Rng& g, int64_t height, int64_t width, int64_t length, int32_t& y0,
                                 int32_t& y1, int32_t& x0, int32_t& x1) {
  const auto cy = static_cast<int64_t>(below(g, static_cast<uint64_t>(height)));
  const auto cx = static_cast<int64_t>(below(g, static_cast<uint64_t>(width)));
  y0 = clamp_i32(cy - length / 2, 0, height);
  y1 = clamp_i32(cy + length / 2, 0, height);
  x0 = clamp_i32(cx - length / 2, 0, width);
  x1 = clamp_i32(cx + length / 2, 0, width);
}

// torchvision's RandomResizedCrop.get_params: up to 10 attempts of area H W U(scale), aspect
// exp(U(log ratio)), sides round(sqrt(area aspect)) and round(sqrt(area / aspect)) (half to even);
// the first that fits is placed uniformly, else the centre crop with the aspect clamped into the
// ratio range. log_ratio: log of the ratio bounds, taken on the host. box = {top, left, h, w}.
template <class Rng>
BCL_HOST_DEVICE void draw_resized_crop_box(Rng& g, int64_t height, int64_t width,
                                           const double* scale, const double* ratio,
                                           const double* log_ratio, int32_t* box) {
  const auto H = static_cast<double>(height), W = static_cast<double>(width);
  for (int attempt = 0; attempt < 10; ++attempt) {
    const double target = H * W * uniform(g, scale[0], scale[1]);
    const double aspect = ::exp(uniform(g, log_ratio[0], log_ratio[1]));
    const auto w = static_cast<int64_t>(::rint(::sqrt(target * aspect)));
    const auto h = static_cast<int64_t>(::rint(::sqrt(target / aspect)));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      box[2] = static_cast<int32_t>(h);
      box[3] = static_cast<int32_t>(w);
      box[0] = static_cast<int32_t>(below(g, static_cast<uint64_t>(height - h + 1)));
      box[1] = static_cast<int32_t>(below(g, static_cast<uint64_t>(width - w + 1)));
      return;
    }
  }
  const bool narrow = W / H<ratio[0], wide = W / H> ratio[1];
  box[2] = static_cast<int32_t>(narrow ? ::rint(W / ratio[0]) : H);
  box[3] = static_cast<int32_t>(wide ? ::rint(H * ratio[1]) : W);
  box[0] = static_cast<int32_t>((height - box[2]) / 2);
  box[1] = static_cast<int32_t>((width - box[3]) / 2);
}

// ---- Colour jitter ---------------------------------------------------------------------------

enum JitterStep : int32_t { kBrightness = 0, kContrast = 1, kSaturation = 2, kHue = 3 };

// torchvision's ColorJitter draw: the order is random_permutation(4) (Fisher-Yates from the top,
// j = below(i) for i = 4, 3, 2), then per non-zero argument a factor U[max(0, 1 - x), 1 + x]
// (hue U[-x, x]); step k runs only when bit k of `enabled` is set.
struct Jitter {
  int32_t enabled = 0;
  int32_t order[4] = {0, 1, 2, 3};
  int32_t unused = 0;
  double brightness = 1, contrast = 1, saturation = 1, hue = 0;
  BCL_HOST_DEVICE double factor(int k) const {
    return k == kBrightness   ? brightness
           : k == kContrast   ? contrast
           : k == kSaturation ? saturation
                              : hue;
  }
};
template <class Rng>
BCL_HOST_DEVICE void draw_jitter(Rng& g, const double* args, Jitter& j) {
  for (int i = 4; i > 1; --i) {
    const auto k = static_cast<int>(below(g, static_cast<uint64_t>(i)));
    const int32_t t = j.order[i - 1];
    j.order[i - 1] = j.order[k];
    j.order[k] = t;
  }
  double* factors[4] = {&j.brightness, &j.contrast, &j.saturation, &j.hue};
  for (int k = 0; k < 4; ++k) {
    if (!(args[k] > 0)) continue;
    j.enabled |= 1 << k;
    *factors[k] = k == kHue ? uniform(g, -args[k], args[k])
                            : uniform(g, 1 - args[k] > 0 ? 1 - args[k] : 0.0, 1 + args[k]);
  }
}

// ---- AutoAugment's CIFAR-10 policy -------------------------------------------------------------

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

struct PolicyStep {
  double p;
  int32_t op, magnitude;
};
// Step k (0 or 1) of sub-policy `policy` of DeepVoltaire's CIFAR10Policy (Cubuk et al. 2019,
// Table 7). A local table: nvcc cannot index a namespace-scope host array from device code.
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

// One image's policy draw (data::draw_auto_augment): the sub-policy, then per step "runs?" (its
// uniform below p) and the sign (-1 when its uniform is below 0.5). The step's op and magnitude
// index are copied from the table, so fixed params may name any op.
struct PolicyDraw {
  int32_t policy = 0;
  int32_t op[2] = {0, 0}, magnitude[2] = {0, 0}, sign[2] = {1, 1}, apply[2] = {0, 0};
  int32_t unused = 0;
};
template <class Rng>
BCL_HOST_DEVICE PolicyDraw draw_policy(Rng& g) {
  PolicyDraw d;
  d.policy = static_cast<int32_t>(below(g, static_cast<uint64_t>(kNumSubPolicies)));
  for (int32_t k = 0; k < 2; ++k) {
    const PolicyStep s = cifar10_policy_step(d.policy, k);
    d.op[k] = s.op;
    d.magnitude[k] = s.magnitude;
    d.apply[k] = g.next_uniform() < s.p;
    d.sign[k] = g.next_uniform() < 0.5 ? -1 : 1;
  }
  return d;
}

// The value magnitude index i in [0, 9] stands for, before any sign: numpy.linspace(lo, hi, 10)[i]
// = lo + i (hi - lo) / 9 (one fused multiply-add) over the op's range; posterize rounds it to
// whole bits (8 8 7 7 6 6 5 5 4 4, never a tie).
BCL_HOST_DEVICE inline double policy_magnitude(int32_t op, int32_t i) {
  auto linspace = [i](double lo, double hi) {
    return ::fma(static_cast<double>(i), (hi - lo) / 9.0, lo);
  };
  switch (static_cast<PolicyOp>(op)) {
    case PolicyOp::ShearX:
    case PolicyOp::ShearY:
      return linspace(0, 0.3);
    case PolicyOp::TranslateX:
    case PolicyOp::TranslateY:
      return linspace(0, 150.0 / 331.0);
    case PolicyOp::Rotate:
      return linspace(0, 30);
    case PolicyOp::Color:
    case PolicyOp::Contrast:
    case PolicyOp::Sharpness:
    case PolicyOp::Brightness:
      return linspace(0, 0.9);
    case PolicyOp::Posterize:
      return ::round(linspace(8, 4));
    case PolicyOp::Solarize:
      return linspace(256, 0);
    default:
      return 0;
  }
}

// ---- RandAugment (timm's rand-n2-m10-mstd0.5) ------------------------------------------------

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
constexpr int32_t kMaxRandOps = 2;  // slots per view the batched params hold (BCL's n = 2)

enum RandResample : int32_t { kRandBilinear = 0, kRandBicubic = 1 };

// num_ops slots, each run with probability prob at magnitude N(magnitude, magnitude_std) clipped
// to [0, 10] (no noise when magnitude_std is 0); geometric ops fill with `fill`.
struct RandAugmentSpec {
  int32_t num_ops = 2;
  double magnitude = 10, magnitude_std = 0.5, prob = 0.5;
  uint8_t fill[3] = {128, 128, 128};
};

// One slot: magnitude and argument (the signed level value) are 0 when it does not run. A
// geometric step carries its inverse map m (warp = 1; a rotation by a multiple of 360 degrees has
// none), computed at the draw, so that given the same params both devices render the same bytes.
struct RandStep {
  int32_t op = 0, applied = 0, resample = kRandBilinear, warp = 0;
  double magnitude = 0, argument = 0;
  double m[6] = {1, 0, 0, 0, 1, 0};
};

// Python's round(v, 15) for |v| <= 1 without long double (the device has none): v 1e15 split
// exactly into p + e (an FMA gives the product's rounding error) and rounded half to even as a
// whole; p - rint(p) is exact, since |p| < 2^50 makes p's ulp at most 1/8, and only a tie of p
// needs e to decide.
BCL_HOST_DEVICE inline double round15_split(double v) {
  const double p = v * 1e15, e = ::fma(v, 1e15, -p);
  double n = ::rint(p);
  if (p - n == 0.5 && e > 0) n += 1;
  if (p - n == -0.5 && e < 0) n -= 1;
  return n / 1e15;
}
// round(v, 15) as PIL's rotate needs it: on the host v 1e15 in long double (its 64-bit mantissa
// keeps the digits that decide it), rounded half to even; round15_split on the device, which
// differs only when v 1e15 lies within about 1e-4 of a half.
BCL_HOST_DEVICE inline double round15(double v) {
#ifdef __CUDA_ARCH__
  return round15_split(v);
#else
  return static_cast<double>(std::nearbyintl(static_cast<long double>(v) * 1e15L)) / 1e15;
#endif
}

// PIL's Image.rotate(degrees) on height x width: Python's angle % 360, then the inverse map of a
// counter-clockwise turn by theta about (cx, cy) = (w / 2, h / 2): with a = -theta in radians,
//   m = (cos a, sin a, cx - cx cos a - cy sin a, -sin a, cos a, cy + cx sin a - cy cos a),
// cosines and sines rounded to 15 decimals. False (no map: the image unchanged) at 0 degrees.
BCL_HOST_DEVICE inline bool rotation_matrix(double degrees, int64_t height, int64_t width,
                                            double* m) {
  double angle = ::fmod(degrees, 360.0);
  if (angle < 0) angle += 360.0;
  if (angle == 0) return false;
  const double rad = -(angle * (M_PI / 180.0));
  const double ca = round15(::cos(rad)), sa = round15(::sin(rad)), msa = round15(-::sin(rad));
  const double cx = static_cast<double>(width) / 2.0, cy = static_cast<double>(height) / 2.0;
  const double r[6] = {ca, sa, ca * -cx + sa * -cy + cx, msa, ca, msa * -cx + ca * -cy + cy};
  for (int k = 0; k < 6; ++k) m[k] = r[k];
  return true;
}

// The inverse map of a RandAugment step on height x width (data::apply_rand_augment_step):
// shear_x/y (1, v, 0, 0, 1, 0) / (1, 0, 0, v, 1, 0), translate_x/y by v width / v height pixels,
// rotate(v). Sets s.warp and s.m.
BCL_HOST_DEVICE inline void set_rand_warp(RandStep& s, int64_t height, int64_t width) {
  const double v = s.argument;
  const double identity[6] = {1, 0, 0, 0, 1, 0};
  for (int k = 0; k < 6; ++k) s.m[k] = identity[k];
  s.warp = 1;
  switch (static_cast<RandOp>(s.op)) {
    case RandOp::ShearX:
      s.m[1] = v;
      break;
    case RandOp::ShearY:
      s.m[3] = v;
      break;
    case RandOp::TranslateXRel:
      s.m[2] = v * static_cast<double>(width);
      break;
    case RandOp::TranslateYRel:
      s.m[5] = v * static_cast<double>(height);
      break;
    case RandOp::Rotate:
      s.warp = rotation_matrix(v, height, width, s.m);
      break;
    default:
      s.warp = 0;
      break;
  }
}

BCL_HOST_DEVICE inline bool rand_op_is_signed(int32_t op) {
  const auto o = static_cast<RandOp>(op);
  return o == RandOp::Rotate || o == RandOp::ShearX || o == RandOp::ShearY ||
         o == RandOp::TranslateXRel || o == RandOp::TranslateYRel;
}

// timm's level functions of a magnitude in [0, 10], before the sign: level = m / 10; rotate 30
// level degrees, shear 0.3 level, translate 0.45 level of the size, posterize int(4 level) bits,
// solarize threshold int(256 level), solarize_add int(110 level), the enhance ops' factor
// 1.8 level + 0.1 (one fused multiply-add), none for the rest.
BCL_HOST_DEVICE inline double rand_argument(int32_t op, double magnitude) {
  const double level = magnitude / 10.0;
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
      return ::fma(level, 1.8, 0.1);
    default:
      return 0;
  }
}

// One slot of data::draw_rand_augment: the op (below(15)), "runs?" (timm skips it when its uniform
// is above prob); for a slot that runs the noisy magnitude m + mstd z (one fused multiply-add),
// the sign (negated when its uniform is above 0.5, signed ops only) and the resampling (bilinear
// when its uniform is below 0.5).
template <class Rng>
BCL_HOST_DEVICE RandStep draw_rand_step(Rng& g, const RandAugmentSpec& spec) {
  RandStep s;
  s.op = static_cast<int32_t>(below(g, static_cast<uint64_t>(kNumRandOps)));
  s.applied = !(g.next_uniform() > spec.prob);
  if (!s.applied) return s;
  double m = spec.magnitude;
  if (spec.magnitude_std > 0) m = ::fma(spec.magnitude_std, standard_normal(g), m);
  s.magnitude = m < 0.0 ? 0.0 : m > 10.0 ? 10.0 : m;
  s.argument = rand_argument(s.op, s.magnitude);
  if (rand_op_is_signed(s.op) && g.next_uniform() > 0.5) s.argument = -s.argument;
  s.resample = g.next_uniform() < 0.5 ? kRandBilinear : kRandBicubic;
  return s;
}

// ---- The batched views' configurations, parameters and draws ----------------------------------
// Parameters travel in Int64 tensors, one row of kWords(P) words per sample.

// Normalisation into float: out = v scale[c] + shift[c] (one fused multiply-add), scale =
// 1 / (255 std) and shift = -mean / std in float, as data::Pipeline::normalize.
struct ChannelNorm {
  float scale[3] = {1.f / 255.f, 1.f / 255.f, 1.f / 255.f};
  float shift[3] = {0.f, 0.f, 0.f};
};
// mean and std: 3 values each.
inline ChannelNorm channel_norm(const float* mean, const float* std) {
  ChannelNorm n;
  for (int c = 0; c < 3; ++c) {
    n.scale[c] = 1.f / (255.f * std[c]);
    n.shift[c] = -mean[c] / std[c];
  }
  return n;
}

// "crop-flip" (CE): a size x size window of the image zero-padded by `padding`, mirrored with
// probability flip_p, then (cutout > 0) Cutout(cutout).
struct CropFlipConfig {
  static constexpr const char* kView = "crop_flip";  // the view's name in its dispatch tables
  int32_t size = 32, padding = 4;
  double flip_p = 0.5;
  int32_t cutout = 0;
};
// Output pixel (y, x) is the image's (top + y, left + (flip ? size - 1 - x : x)), 0 outside the
// image or inside the cutout rectangle [cut_y0, cut_y1) x [cut_x0, cut_x1) (empty when none).
struct CropFlipParams {
  int32_t top = 0, left = 0, flip = 0;
  int32_t cut_y0 = 0, cut_y1 = 0, cut_x0 = 0, cut_x1 = 0;
  int32_t unused = 0;
};

// "sim" (contrastive; SimCLR's augmentation as the BCL code configures it): RandomResizedCrop(size,
// scale, ratio), bilinear; a flip with probability flip_p; ColorJitter(brightness, contrast,
// saturation, hue) with probability jitter_p; grayscale with probability gray_p.
struct SimConfig {
  static constexpr const char* kView = "sim";  // the view's name in its dispatch tables
  int32_t size = 32;
  double scale_lo = 0.2, scale_hi = 1.0;
  double ratio_lo = 3.0 / 4.0, ratio_hi = 4.0 / 3.0;
  double flip_p = 0.5, jitter_p = 0.8;
  double brightness = 0.4, contrast = 0.4, saturation = 0.4, hue = 0.1;
  double gray_p = 0.2;
};
// The crop box (image coordinates) resized to size x size, the flip, the jitter's draw (used when
// `jitter`), the grayscale.
struct SimParams : Jitter {
  int32_t top = 0, left = 0, height = 0, width = 0;
  int32_t flip = 0, jitter = 0, gray = 0, unused_sim = 0;
};

// "autoaug-cutout" (CE): crop-flip, AutoAugment's CIFAR-10 policy, Cutout. Shears and translations
// fill with `fill` (cifar10_auto_augment's grey), rotations always with 128 grey.
struct AutoAugCutoutConfig {
  static constexpr const char* kView = "autoaug_cutout";  // the view's name in its dispatch tables
  int32_t size = 32, padding = 4;
  double flip_p = 0.5;
  int32_t cutout = 16;
  uint8_t fill[3] = {128, 128, 128};
};
struct AutoAugCutoutParams : CropFlipParams, PolicyDraw {};

// "rand" (contrastive): the sim view, then RandAugment on it.
struct RandViewConfig {
  static constexpr const char* kView = "rand_view";  // the view's name in its dispatch tables
  SimConfig sim;
  RandAugmentSpec rand;
};
struct RandViewParams {
  SimParams sim;
  RandStep step[kMaxRandOps];
};
// "randaug" (CE): crop-flip without cutout, then RandAugment.
struct RandAugConfig {
  static constexpr const char* kView = "randaug";  // the view's name in its dispatch tables
  int32_t size = 32, padding = 4;
  double flip_p = 0.5;
  RandAugmentSpec rand;
};
struct RandAugParams : CropFlipParams {
  RandStep step[kMaxRandOps];
};

template <class P>
constexpr int64_t kWords = sizeof(P) / 8;
static_assert(sizeof(CropFlipParams) % 8 == 0 && sizeof(SimParams) % 8 == 0 &&
                  sizeof(AutoAugCutoutParams) % 8 == 0 && sizeof(RandViewParams) % 8 == 0 &&
                  sizeof(RandAugParams) % 8 == 0,
              "params must fill whole Int64 words");

// The pipelines' settings for a view side (ce_pipeline: padding size / 8, cutout size / 2;
// RandAugment rand-n2-m10-mstd0.5 filling with fill, BCL's data::mean_fill_colour). fill: 3 values.
inline AutoAugCutoutConfig autoaug_cutout_config(int32_t size) {
  AutoAugCutoutConfig cfg;
  cfg.size = size;
  cfg.padding = size / 8;
  cfg.cutout = size / 2;
  return cfg;
}
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

// The draws, in the order of the pipelines' ops: random_crop, random_horizontal_flip, [the
// policy], [cutout] / random_resized_crop, flip, random_apply(color_jitter), random_grayscale,
// [RandAugment]. log_ratio: log of the sim ratio bounds, taken on the host.
template <class Rng>
BCL_HOST_DEVICE CropFlipParams draw_crop_flip(Rng& g, int64_t height, int64_t width, int32_t size,
                                              int32_t padding, double flip_p, int32_t cutout) {
  CropFlipParams p;
  draw_crop(g, height, width, size, padding, p.top, p.left);
  p.flip = g.next_uniform() < flip_p;
  if (cutout > 0) draw_cutout(g, size, size, cutout, p.cut_y0, p.cut_y1, p.cut_x0, p.cut_x1);
  return p;
}
template <class Rng>
BCL_HOST_DEVICE SimParams draw_sim(Rng& g, const SimConfig& cfg, const double* log_ratio,
                                   int64_t height, int64_t width) {
  SimParams p;
  const double scale[2] = {cfg.scale_lo, cfg.scale_hi}, ratio[2] = {cfg.ratio_lo, cfg.ratio_hi};
  const double args[4] = {cfg.brightness, cfg.contrast, cfg.saturation, cfg.hue};
  int32_t box[4];
  draw_resized_crop_box(g, height, width, scale, ratio, log_ratio, box);
  p.top = box[0];
  p.left = box[1];
  p.height = box[2];
  p.width = box[3];
  p.flip = g.next_uniform() < cfg.flip_p;
  p.jitter = g.next_uniform() < cfg.jitter_p;
  if (p.jitter) draw_jitter(g, args, p);
  p.gray = g.next_uniform() < cfg.gray_p;
  return p;
}
template <class Rng>
BCL_HOST_DEVICE AutoAugCutoutParams draw_autoaug_cutout(Rng& g, const AutoAugCutoutConfig& cfg,
                                                        int64_t height, int64_t width) {
  AutoAugCutoutParams p;
  static_cast<CropFlipParams&>(p) =
      draw_crop_flip(g, height, width, cfg.size, cfg.padding, cfg.flip_p, 0);
  static_cast<PolicyDraw&>(p) = draw_policy(g);
  if (cfg.cutout > 0)
    draw_cutout(g, cfg.size, cfg.size, cfg.cutout, p.cut_y0, p.cut_y1, p.cut_x0, p.cut_x1);
  return p;
}
template <class Rng>
BCL_HOST_DEVICE void draw_rand_steps(Rng& g, const RandAugmentSpec& spec, int32_t size,
                                     RandStep (&steps)[kMaxRandOps]) {
  for (int32_t k = 0; k < kMaxRandOps; ++k) {
    steps[k] = k < spec.num_ops ? draw_rand_step(g, spec) : RandStep();
    if (steps[k].applied) set_rand_warp(steps[k], size, size);
  }
}
template <class Rng>
BCL_HOST_DEVICE RandViewParams draw_rand_view(Rng& g, const RandViewConfig& cfg,
                                              const double* log_ratio, int64_t height,
                                              int64_t width) {
  RandViewParams p;
  p.sim = draw_sim(g, cfg.sim, log_ratio, height, width);
  draw_rand_steps(g, cfg.rand, cfg.sim.size, p.step);
  return p;
}
template <class Rng>
BCL_HOST_DEVICE RandAugParams draw_randaug(Rng& g, const RandAugConfig& cfg, int64_t height,
                                           int64_t width) {
  RandAugParams p;
  static_cast<CropFlipParams&>(p) =
      draw_crop_flip(g, height, width, cfg.size, cfg.padding, cfg.flip_p, 0);
  draw_rand_steps(g, cfg.rand, cfg.size, p.step);
  return p;
}

}  // namespace bcl::augment
