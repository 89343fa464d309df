// CPU twins of the batched "autoaug-cutout" kernels (augment_policy_batch.cu): the same draws
// (augment_policy.h) and the same per-pixel functions (augment_policy_pixels.h), one image at a
// time, in the CUDA kernel's phases: crop and flip, each step that runs, cutout and normalisation.
#include "tensor/kernels/augment_policy_batch.h"

#include <limits>
#include <utility>
#include <vector>

#include "tensor/kernels/augment_policy_pixels.h"

namespace bcl {
namespace {

using augment::AutoAugCutoutConfig;
using augment::AutoAugCutoutParams;
using augment::ChannelNorm;
using augment::PolicyTables;
using augment::StepSpec;

void autoaug_cutout_params_cpu(const Tensor& indices, const Tensor& params,
                               const augment::SampleKey& key, const AutoAugCutoutConfig& cfg,
                               int64_t height, int64_t width) {
  const int64_t* idx = indices.data<int64_t>();
  auto* out = reinterpret_cast<AutoAugCutoutParams*>(params.data<int64_t>());
  const int64_t n = indices.numel();
#pragma omp parallel for if (n > 256)
  for (int64_t i = 0; i < n; ++i) {
    augment::PhiloxStream g = augment::sample_stream(key, idx[i]);
    out[i] = augment::draw_autoaug_cutout(cfg, height, width, g);
  }
}

// One step on the view in *a (the other buffer *b is scratch); a and b swap when the step writes
// into b.
void run_step(const StepSpec& s, int32_t size, uint8_t*& a, uint8_t*& b) {
  const int64_t plane = static_cast<int64_t>(size) * size;
  switch (augment::step_class(s.op)) {
    case augment::kStepWarp:
      for (int64_t q = 0; q < plane; ++q) augment::warp_pixel(s.warp, a, size, q, b);
      std::swap(a, b);
      break;
    case augment::kStepSharpness:
      for (int64_t q = 0; q < plane; ++q) augment::sharpness_pixel(a, size, q, s.factor, b);
      std::swap(a, b);
      break;
    case augment::kStepMean: {
      uint64_t sum = 0;
      for (int64_t q = 0; q < plane; ++q)
        sum += augment::luma(a[3 * q], a[3 * q + 1], a[3 * q + 2]);
      const uint8_t mean = augment::contrast_mean(sum, plane);
      for (int64_t q = 0; q < plane; ++q) augment::point_pixel(s, mean, nullptr, a + 3 * q);
      break;
    }
    case augment::kStepHistogram: {
      int32_t hist[3 * 256] = {};
      uint8_t luts[3 * 256];
      for (int64_t q = 0; q < plane; ++q)
        for (int c = 0; c < 3; ++c) ++hist[c * 256 + a[3 * q + c]];
      for (int c = 0; c < 3; ++c) augment::histogram_lut(s.op, hist + c * 256, luts + c * 256);
      for (int64_t q = 0; q < plane; ++q) augment::point_pixel(s, 0, luts, a + 3 * q);
      break;
    }
    case augment::kStepPoint:
      for (int64_t q = 0; q < plane; ++q) augment::point_pixel(s, 0, nullptr, a + 3 * q);
      break;
    default:
      break;
  }
}

// One view into dst (3 planes of size x size).
void autoaug_image(const uint8_t* img, const PackedGeometry& geo, const AutoAugCutoutParams& p,
                   const AutoAugCutoutConfig& cfg, const PolicyTables& tables,
                   const ChannelNorm& norm, std::vector<uint8_t>& buf, float* dst) {
  const int32_t size = cfg.size;
  const int64_t plane = static_cast<int64_t>(size) * size;
  buf.resize(static_cast<size_t>(2 * 3 * plane));
  uint8_t* a = buf.data();
  uint8_t* b = a + 3 * plane;
  for (int64_t q = 0; q < plane; ++q)
    augment::crop_flip_pixel(img, geo.height, geo.width, p, size, q, a);
  for (int k = 0; k < 2; ++k) {
    if (!p.apply[k]) continue;
    run_step(augment::step_spec(p.op[k], p.magnitude[k], p.sign[k], cfg, tables), size, a, b);
  }
  for (int c = 0; c < 3; ++c) {
    for (int64_t q = 0; q < plane; ++q) {
      const uint8_t v = augment::in_cutout(p, size, q) ? 0 : a[3 * q + c];
      dst[c * plane + q] = augment::normalize_value(v, norm, c);
    }
  }
}

void autoaug_cutout_cpu(const Tensor& images, const PackedGeometry& geo, const Tensor& indices,
                        const Tensor& params, const AutoAugCutoutConfig& cfg,
                        const PolicyTables& tables, const ChannelNorm& norm, const Tensor& out) {
  const auto* bytes = reinterpret_cast<const uint8_t*>(images.data<int64_t>());
  const int64_t* idx = indices.data<int64_t>();
  const auto* prm = reinterpret_cast<const AutoAugCutoutParams*>(params.data<int64_t>());
  float* dst = out.data<float>();
  const int64_t n = out.size(0), per = 3 * out.size(2) * out.size(3);
#pragma omp parallel if (n > 4)
  {
    std::vector<uint8_t> buf;
#pragma omp for
    for (int64_t i = 0; i < n; ++i) {
      float* o = dst + i * per;
      if (idx[i] < 0 || idx[i] >= geo.count) {
        for (int64_t j = 0; j < per; ++j) o[j] = std::numeric_limits<float>::quiet_NaN();
        continue;
      }
      autoaug_image(bytes + idx[i] * geo.height * geo.width * 3, geo, prm[i], cfg, tables, norm,
                    buf, o);
    }
  }
}

const KernelRegistrar reg_autoaug_cutout_params(autoaug_cutout_params_kernels(), Device::CPU,
                                                DType::Int64, &autoaug_cutout_params_cpu);
const KernelRegistrar reg_autoaug_cutout(autoaug_cutout_kernels(), Device::CPU, DType::Float32,
                                         &autoaug_cutout_cpu);

}  // namespace
}  // namespace bcl
