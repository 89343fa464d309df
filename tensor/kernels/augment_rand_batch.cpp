// CPU twins of the batched RandAugment kernels (augment_rand_batch.cu): the same draws
// (augment_rand.h) and the same per-pixel functions (augment_rand_pixels.h and the headers it
// builds on), one image at a time, in the CUDA kernels' phases: the sim view (resized crop, colour
// jitter, grayscale) or the crop and flip, each RandAugment step that runs, then normalisation.
#include "tensor/kernels/augment_rand_batch.h"

#include <limits>
#include <utility>
#include <vector>

#include "tensor/kernels/augment_rand_pixels.h"

namespace bcl {
namespace {

using augment::ChannelNorm;
using augment::RandAugConfig;
using augment::RandAugParams;
using augment::RandStep;
using augment::RandViewConfig;
using augment::RandViewParams;

void rand_view_params_cpu(const Tensor& indices, const Tensor& params,
                          const augment::SampleKey& key, const RandViewConfig& cfg,
                          double log_ratio_lo, double log_ratio_hi, int64_t height, int64_t width) {
  const int64_t* idx = indices.data<int64_t>();
  auto* out = reinterpret_cast<RandViewParams*>(params.data<int64_t>());
  const int64_t n = indices.numel();
#pragma omp parallel for if (n > 256)
  for (int64_t i = 0; i < n; ++i) {
    augment::PhiloxStream g = augment::sample_stream(key, idx[i]);
    out[i] = augment::draw_rand_view(cfg, log_ratio_lo, log_ratio_hi, height, width, g);
  }
}

void randaug_params_cpu(const Tensor& indices, const Tensor& params, const augment::SampleKey& key,
                        const RandAugConfig& cfg, int64_t height, int64_t width) {
  const int64_t* idx = indices.data<int64_t>();
  auto* out = reinterpret_cast<RandAugParams*>(params.data<int64_t>());
  const int64_t n = indices.numel();
#pragma omp parallel for if (n > 256)
  for (int64_t i = 0; i < n; ++i) {
    augment::PhiloxStream g = augment::sample_stream(key, idx[i]);
    out[i] = augment::draw_randaug(cfg, height, width, g);
  }
}

uint8_t mean_luma(const uint8_t* px, int64_t plane) {
  uint64_t sum = 0;
  for (int64_t q = 0; q < plane; ++q) sum += augment::luma(px[3 * q], px[3 * q + 1], px[3 * q + 2]);
  return augment::contrast_mean(sum, plane);
}

// The RandAugment steps on the view in *a (the other buffer *b is scratch); a and b swap when a
// step writes into b.
void run_rand_steps(const RandStep (&steps)[augment::kMaxRandOps], const uint8_t* fill,
                    int32_t size, uint8_t*& a, uint8_t*& b) {
  const int64_t plane = static_cast<int64_t>(size) * size;
  for (const RandStep& step : steps) {
    const augment::RandStepPlan plan = augment::rand_step_plan(step, fill);
    switch (plan.cls) {
      case augment::kStepWarp:
        for (int64_t q = 0; q < plane; ++q) augment::rand_warp_pixel(plan.spec.warp, a, size, q, b);
        std::swap(a, b);
        break;
      case augment::kStepSharpness:
        for (int64_t q = 0; q < plane; ++q)
          augment::sharpness_pixel(a, size, q, plan.spec.factor, b);
        std::swap(a, b);
        break;
      case augment::kStepMean: {
        const uint8_t mean = mean_luma(a, plane);
        for (int64_t q = 0; q < plane; ++q)
          augment::rand_point_pixel(plan, mean, nullptr, a + 3 * q);
        break;
      }
      case augment::kStepHistogram: {
        int32_t hist[3 * 256] = {};
        uint8_t luts[3 * 256];
        for (int64_t q = 0; q < plane; ++q)
          for (int c = 0; c < 3; ++c) ++hist[c * 256 + a[3 * q + c]];
        for (int c = 0; c < 3; ++c)
          augment::histogram_lut(plan.spec.op, hist + c * 256, luts + c * 256);
        for (int64_t q = 0; q < plane; ++q) augment::rand_point_pixel(plan, 0, luts, a + 3 * q);
        break;
      }
      case augment::kStepPoint:
        for (int64_t q = 0; q < plane; ++q) augment::rand_point_pixel(plan, 0, nullptr, a + 3 * q);
        break;
      default:
        break;
    }
  }
}

// The sim view's colour steps on px, in place: the jitter's enabled steps in their drawn order
// (contrast after the view's mean luma at that point), then the grayscale.
void sim_colour(const augment::SimParams& p, int64_t plane, uint8_t* px) {
  if (p.jitter) {
    const uint8_t shift = augment::hue_shift(p.hue);
    for (int32_t step : p.order) {
      if (!((p.enabled >> step) & 1)) continue;
      const uint8_t mean = step == augment::kContrast ? mean_luma(px, plane) : 0;
      for (int64_t q = 0; q < plane; ++q) augment::jitter_pixel(step, p, mean, shift, px + 3 * q);
    }
  }
  if (p.gray) {
    for (int64_t q = 0; q < plane; ++q) augment::grayscale_pixel(px + 3 * q);
  }
}

void normalize_view(const uint8_t* px, int64_t plane, const ChannelNorm& norm, float* dst) {
  for (int c = 0; c < 3; ++c)
    for (int64_t q = 0; q < plane; ++q)
      dst[c * plane + q] = augment::normalize_value(px[3 * q + c], norm, c);
}

// Runs view(img, a, b) -> the buffer holding the finished view, for each sample, or NaN for an
// index out of range. dst is [n, 3, size, size].
template <class MakeView>
void for_each_view(const Tensor& images, const PackedGeometry& geo, const Tensor& indices,
                   int32_t size, const ChannelNorm& norm, const Tensor& out, MakeView view) {
  const auto* bytes = reinterpret_cast<const uint8_t*>(images.data<int64_t>());
  const int64_t* idx = indices.data<int64_t>();
  float* dst = out.data<float>();
  const int64_t n = out.size(0), plane = static_cast<int64_t>(size) * size;
#pragma omp parallel if (n > 4)
  {
    std::vector<uint8_t> buf(static_cast<size_t>(2 * 3 * plane));
#pragma omp for
    for (int64_t i = 0; i < n; ++i) {
      float* o = dst + i * 3 * plane;
      if (idx[i] < 0 || idx[i] >= geo.count) {
        for (int64_t j = 0; j < 3 * plane; ++j) o[j] = std::numeric_limits<float>::quiet_NaN();
        continue;
      }
      const uint8_t* img = bytes + idx[i] * geo.height * geo.width * 3;
      normalize_view(view(i, img, buf.data(), buf.data() + 3 * plane), plane, norm, o);
    }
  }
}

void rand_view_cpu(const Tensor& images, const PackedGeometry& geo, const Tensor& indices,
                   const Tensor& params, const RandViewConfig& cfg, const ChannelNorm& norm,
                   const Tensor& out) {
  const auto* prm = reinterpret_cast<const RandViewParams*>(params.data<int64_t>());
  const int32_t size = cfg.sim.size;
  const int64_t plane = static_cast<int64_t>(size) * size;
  for_each_view(images, geo, indices, size, norm, out,
                [&](int64_t i, const uint8_t* img, uint8_t* a, uint8_t* b) {
                  const RandViewParams& p = prm[i];
                  for (int64_t q = 0; q < plane; ++q)
                    augment::sim_crop_pixel(img, geo.width, p.sim, size, q, a);
                  sim_colour(p.sim, plane, a);
                  run_rand_steps(p.step, cfg.rand.fill, size, a, b);
                  return a;
                });
}

void randaug_cpu(const Tensor& images, const PackedGeometry& geo, const Tensor& indices,
                 const Tensor& params, const RandAugConfig& cfg, const ChannelNorm& norm,
                 const Tensor& out) {
  const auto* prm = reinterpret_cast<const RandAugParams*>(params.data<int64_t>());
  const int32_t size = cfg.size;
  const int64_t plane = static_cast<int64_t>(size) * size;
  for_each_view(images, geo, indices, size, norm, out,
                [&](int64_t i, const uint8_t* img, uint8_t* a, uint8_t* b) {
                  const RandAugParams& p = prm[i];
                  for (int64_t q = 0; q < plane; ++q)
                    augment::randaug_crop_pixel(img, geo.height, geo.width, p, size, q, a);
                  run_rand_steps(p.step, cfg.rand.fill, size, a, b);
                  return a;
                });
}

const KernelRegistrar reg_rand_view_params(rand_view_params_kernels(), Device::CPU, DType::Int64,
                                           &rand_view_params_cpu);
const KernelRegistrar reg_randaug_params(randaug_params_kernels(), Device::CPU, DType::Int64,
                                         &randaug_params_cpu);
const KernelRegistrar reg_rand_view(rand_view_kernels(), Device::CPU, DType::Float32,
                                    &rand_view_cpu);
const KernelRegistrar reg_randaug(randaug_kernels(), Device::CPU, DType::Float32, &randaug_cpu);

}  // namespace
}  // namespace bcl
