// Per-sample parameters of the batched augmentations (tensor/ops_augment.cpp), as plain C++ that
// g++ and nvcc both compile: the CUDA kernels draw a batch's parameters on the device with the very
// functions the CPU twin calls, so the two devices draw the same numbers.
//
// The draws replay data/'s random stream. sample_stream(seed, epoch, index, view) is
// augment_generator's Generator (the seed from data::derive_seed, then Philox blocks 0, 1, 2, ...
// handing out their words in order), and draw_crop_flip / draw_sim consume it in the order of the
// CPU ops they stand for:
//   crop-flip  random_crop(size, padding), random_horizontal_flip(p), [cutout(length)]
//   sim        random_resized_crop(size, scale, ratio), random_horizontal_flip(p),
//              random_apply(color_jitter(b, c, s, h), p), random_grayscale(p)
// so a batch's views equal the CPU loader's (random_resized_crop_box, draw_color_jitter,
// random_below and Generator::next_uniform have twins below). Each uniform draw lo + (hi - lo) u is
// one fused multiply-add here, as g++ -O3 -march=native compiles data/augment.cpp's; a build that
// rounds the product first (g++ -O1, no FMA) may differ from these by an ulp.
//
// Exactness across devices: every step is an exactly specified IEEE operation (products that feed
// a sum are rounded explicitly, so nvcc cannot contract them), except exp() in the box draw: CUDA's
// double exp is within 1 ulp and glibc's within 1 ulp, so in the rare draw where the two straddle a
// rounding boundary of round(sqrt(area * aspect)) a box side may differ by one pixel.
#pragma once

#include <cmath>
#include <cstdint>

#include "tensor/host_device.h"

namespace bcl::augment {

// ---- Exactly rounded arithmetic on both compilers -------------------------------------------

// x * y rounded on its own, never fused into a following add (nvcc fuses by default, and g++
// -march=native does too; a volatile store keeps g++'s rounding).
BCL_HOST_DEVICE inline float mul_rn(float x, float y) {
#ifdef __CUDA_ARCH__
  return __fmul_rn(x, y);
#else
  volatile float p = x * y;
  return p;
#endif
}
BCL_HOST_DEVICE inline double mul_rn(double x, double y) {
#ifdef __CUDA_ARCH__
  return __dmul_rn(x, y);
#else
  volatile double p = x * y;
  return p;
#endif
}
// x * y + z with one rounding.
BCL_HOST_DEVICE inline float fma_rn(float x, float y, float z) {
#ifdef __CUDA_ARCH__
  return __fmaf_rn(x, y, z);
#else
  return std::fma(x, y, z);
#endif
}
BCL_HOST_DEVICE inline double fma_rn(double x, double y, double z) {
#ifdef __CUDA_ARCH__
  return __fma_rn(x, y, z);
#else
  return std::fma(x, y, z);
#endif
}
BCL_HOST_DEVICE inline double sqrt_rn(double x) {
#ifdef __CUDA_ARCH__
  return __dsqrt_rn(x);
#else
  return std::sqrt(x);
#endif
}
BCL_HOST_DEVICE inline double exp_d(double x) {
#ifdef __CUDA_ARCH__
  return ::exp(x);
#else
  return std::exp(x);
#endif
}
// Python's round(): half to even (the default rounding mode on both devices).
BCL_HOST_DEVICE inline double round_half_even(double x) {
#ifdef __CUDA_ARCH__
  return ::rint(x);
#else
  return std::nearbyint(x);
#endif
}

// ---- Philox 4x32-10 and the Generator's stream ----------------------------------------------

// tensor/random.cpp's philox4x32_10, in place on the counter c under key (k0, k1).
BCL_HOST_DEVICE inline void philox4x32_10(uint32_t (&c)[4], uint32_t k0, uint32_t k1) {
  constexpr uint64_t kM0 = 0xD2511F53, kM1 = 0xCD9E8D57;
  constexpr uint32_t kW0 = 0x9E3779B9, kW1 = 0xBB67AE85;
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      k0 += kW0;
      k1 += kW1;
    }
    const uint64_t p0 = kM0 * c[0], p1 = kM1 * c[2];
    const uint32_t n0 = static_cast<uint32_t>(p1 >> 32) ^ c[1] ^ k0;
    const uint32_t n1 = static_cast<uint32_t>(p1);
    const uint32_t n2 = static_cast<uint32_t>(p0 >> 32) ^ c[3] ^ k1;
    const uint32_t n3 = static_cast<uint32_t>(p0);
    c[0] = n0;
    c[1] = n1;
    c[2] = n2;
    c[3] = n3;
  }
}

// bcl::Generator with its seed and offset 0: block b is Philox of counter (b, 0, 0, 0) under the
// seed, and its 4 words are handed out in order.
struct PhiloxStream {
  uint64_t seed = 0;
  uint64_t block = 0;
  uint32_t words[4] = {0, 0, 0, 0};
  int buffered = 0;

  BCL_HOST_DEVICE explicit PhiloxStream(uint64_t s) : seed(s) {}

  BCL_HOST_DEVICE uint32_t next_u32() {
    if (buffered == 0) {
      words[0] = static_cast<uint32_t>(block);
      words[1] = static_cast<uint32_t>(block >> 32);
      words[2] = 0;
      words[3] = 0;
      philox4x32_10(words, static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32));
      ++block;
      buffered = 4;
    }
    return words[4 - buffered--];
  }
  // Generator::next_uniform: 53 bits of (hi << 32 | lo), times 2^-53 (exact).
  BCL_HOST_DEVICE double next_uniform() {
    const uint64_t hi = next_u32(), lo = next_u32();
    return static_cast<double>(((hi << 32) | lo) >> 11) * 0x1.0p-53;
  }
  // data::random_below: uniform in [0, n), n >= 1, by rejection of the 2^64 mod n lowest values.
  BCL_HOST_DEVICE uint64_t below(uint64_t n) {
    const uint64_t threshold = (0 - n) % n;
    for (;;) {
      const uint64_t hi = next_u32();
      const uint64_t x = (hi << 32) | next_u32();
      if (x >= threshold) return x % n;
    }
  }
  // augment.cpp's uniform(gen, lo, hi) = lo + (hi - lo) u, fused as g++ compiles it.
  BCL_HOST_DEVICE double uniform(double lo, double hi) {
    return fma_rn(hi - lo, next_uniform(), lo);
  }
};

// What a sample's augmentation depends on besides its index.
struct SampleKey {
  uint64_t seed = 0;
  int64_t epoch = 0;
  int32_t view = 0;
};

// augment_generator(seed, epoch, index, view): the seed is data::derive_seed's Philox of counter
// (index low, index high, epoch, view) under the base seed, its first two words joined.
BCL_HOST_DEVICE inline PhiloxStream sample_stream(const SampleKey& key, int64_t index) {
  const auto i = static_cast<uint64_t>(index);
  uint32_t c[4] = {static_cast<uint32_t>(i), static_cast<uint32_t>(i >> 32),
                   static_cast<uint32_t>(key.epoch), static_cast<uint32_t>(key.view)};
  philox4x32_10(c, static_cast<uint32_t>(key.seed), static_cast<uint32_t>(key.seed >> 32));
  return PhiloxStream((static_cast<uint64_t>(c[0]) << 32) | c[1]);
}

// ---- Configurations and parameters ----------------------------------------------------------

// The CE view "crop-flip": a size x size window of the image zero-padded by `padding`, mirrored
// with probability flip_p, then (cutout > 0) Cutout(cutout) on the result.
struct CropFlipConfig {
  int32_t size = 32;
  int32_t padding = 4;
  double flip_p = 0.5;
  int32_t cutout = 0;
};

// The contrastive view "sim" (SimCLR's augmentation as the BCL code configures it):
// RandomResizedCrop(size, scale, ratio) with bilinear resampling, a flip with probability flip_p,
// ColorJitter(brightness, contrast, saturation, hue) with probability jitter_p, grayscale with
// probability gray_p.
struct SimConfig {
  int32_t size = 32;
  double scale_lo = 0.2, scale_hi = 1.0;
  double ratio_lo = 3.0 / 4.0, ratio_hi = 4.0 / 3.0;
  double flip_p = 0.5;
  double jitter_p = 0.8;
  double brightness = 0.4, contrast = 0.4, saturation = 0.4, hue = 0.1;
  double gray_p = 0.2;
};

// Normalisation into float: out = v * scale[c] + shift[c] (one fused multiply-add), with
// scale = 1 / (255 std) and shift = -mean / std computed in float as data::Pipeline::normalize
// does.
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

// One sample's crop-flip draw. The output pixel (y, x) is the image's pixel
// (top + y, left + (flip ? size - 1 - x : x)), or 0 outside the image or inside the cutout
// rectangle [cut_y0, cut_y1) x [cut_x0, cut_x1) (output coordinates; empty when no cutout).
struct CropFlipParams {
  int32_t top = 0, left = 0;
  int32_t flip = 0;
  int32_t cut_y0 = 0, cut_y1 = 0, cut_x0 = 0, cut_x1 = 0;
  int32_t unused = 0;
};

// Colour jitter steps, as data::ColorJitterDraw numbers them.
enum JitterStep : int32_t { kBrightness = 0, kContrast = 1, kSaturation = 2, kHue = 3 };

// One sample's sim draw: the crop box (in image coordinates) resized to size x size, the flip,
// whether the jitter runs (then its steps in `order`, step k only when bit k of `enabled` is set,
// with data::ColorJitterDraw's factors), and the grayscale.
struct SimParams {
  int32_t top = 0, left = 0, height = 0, width = 0;
  int32_t flip = 0;
  int32_t jitter = 0;
  int32_t gray = 0;
  int32_t enabled = 0;
  int32_t order[4] = {0, 1, 2, 3};
  double brightness = 1, contrast = 1, saturation = 1, hue = 0;
};

// Params travel in Int64 tensors, one row of these many words per sample.
constexpr int64_t kCropFlipWords = sizeof(CropFlipParams) / 8;
constexpr int64_t kSimWords = sizeof(SimParams) / 8;
static_assert(sizeof(CropFlipParams) % 8 == 0 && sizeof(SimParams) % 8 == 0,
              "params must fill whole Int64 words");

// ---- The draws -------------------------------------------------------------------------------

BCL_HOST_DEVICE inline int32_t clamp_i32(int32_t v, int32_t lo, int32_t hi) {
  return v < lo ? lo : v > hi ? hi : v;
}

// random_crop(size, padding) (top and left uniform over the padded image's slack), the flip, and
// Cutout's centre uniform over the output's pixels. Needs height, width + 2 padding >= size.
BCL_HOST_DEVICE inline CropFlipParams draw_crop_flip(const CropFlipConfig& cfg, int64_t height,
                                                     int64_t width, PhiloxStream& g) {
  CropFlipParams p;
  const int64_t slack_y = height + 2 * cfg.padding - cfg.size;
  const int64_t slack_x = width + 2 * cfg.padding - cfg.size;
  p.top = static_cast<int32_t>(g.below(static_cast<uint64_t>(slack_y) + 1)) - cfg.padding;
  p.left = static_cast<int32_t>(g.below(static_cast<uint64_t>(slack_x) + 1)) - cfg.padding;
  p.flip = g.next_uniform() < cfg.flip_p;
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

// data::random_resized_crop_box: up to 10 attempts of area H W U(scale), aspect
// exp(U(log ratio)), sides round(sqrt(area aspect)) and round(sqrt(area / aspect)); the first that
// fits is placed uniformly, else the centre crop with the aspect clamped into the ratio range.
// log_ratio_lo/hi are std::log of the ratio bounds, taken on the host.
BCL_HOST_DEVICE inline void draw_resized_crop_box(const SimConfig& cfg, double log_ratio_lo,
                                                  double log_ratio_hi, int64_t height,
                                                  int64_t width, PhiloxStream& g, SimParams& p) {
  const auto H = static_cast<double>(height), W = static_cast<double>(width);
  const double area = H * W;
  for (int attempt = 0; attempt < 10; ++attempt) {
    const double target = area * g.uniform(cfg.scale_lo, cfg.scale_hi);
    const double aspect = exp_d(g.uniform(log_ratio_lo, log_ratio_hi));
    const auto w = static_cast<int64_t>(round_half_even(sqrt_rn(target * aspect)));
    const auto h = static_cast<int64_t>(round_half_even(sqrt_rn(target / aspect)));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      p.height = static_cast<int32_t>(h);
      p.width = static_cast<int32_t>(w);
      p.top = static_cast<int32_t>(g.below(static_cast<uint64_t>(height - h + 1)));
      p.left = static_cast<int32_t>(g.below(static_cast<uint64_t>(width - w + 1)));
      return;
    }
  }
  const double in_ratio = W / H;
  if (in_ratio < cfg.ratio_lo) {
    p.width = static_cast<int32_t>(width);
    p.height = static_cast<int32_t>(round_half_even(W / cfg.ratio_lo));
  } else if (in_ratio > cfg.ratio_hi) {
    p.height = static_cast<int32_t>(height);
    p.width = static_cast<int32_t>(round_half_even(H * cfg.ratio_hi));
  } else {
    p.width = static_cast<int32_t>(width);
    p.height = static_cast<int32_t>(height);
  }
  p.top = static_cast<int32_t>((height - p.height) / 2);
  p.left = static_cast<int32_t>((width - p.width) / 2);
}

// The whole sim draw, in the order of data::sim_pipeline's ops. The jitter's order is
// random_permutation(4): Fisher-Yates from the top, j = below(i) for i = 4, 3, 2; then a factor per
// enabled step, U[max(0, 1 - x), 1 + x] (hue U[-x, x]).
BCL_HOST_DEVICE inline SimParams draw_sim(const SimConfig& cfg, double log_ratio_lo,
                                          double log_ratio_hi, int64_t height, int64_t width,
                                          PhiloxStream& g) {
  SimParams p;
  draw_resized_crop_box(cfg, log_ratio_lo, log_ratio_hi, height, width, g, p);
  p.flip = g.next_uniform() < cfg.flip_p;
  p.jitter = g.next_uniform() < cfg.jitter_p;
  if (p.jitter) {
    for (int i = 4; i > 1; --i) {
      const auto j = static_cast<int>(g.below(static_cast<uint64_t>(i)));
      const int32_t t = p.order[i - 1];
      p.order[i - 1] = p.order[j];
      p.order[j] = t;
    }
    const double args[3] = {cfg.brightness, cfg.contrast, cfg.saturation};
    double* factors[3] = {&p.brightness, &p.contrast, &p.saturation};
    for (int k = 0; k < 3; ++k) {
      if (args[k] > 0) {
        p.enabled |= 1 << k;
        *factors[k] = g.uniform(1 - args[k] > 0 ? 1 - args[k] : 0.0, 1 + args[k]);
      }
    }
    if (cfg.hue > 0) {
      p.enabled |= 1 << kHue;
      p.hue = g.uniform(-cfg.hue, cfg.hue);
    }
  }
  p.gray = g.next_uniform() < cfg.gray_p;
  return p;
}

}  // namespace bcl::augment
