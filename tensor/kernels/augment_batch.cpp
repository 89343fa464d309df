// CPU twins of the batched augmentation kernels (augment_batch.cu): the same per-sample draws
// (augment_params.h) and the same per-pixel math (augment_pixels.h), one image at a time.
#include "tensor/kernels/augment_batch.h"

#include <limits>
#include <vector>

#include "tensor/kernels/augment_pixels.h"

namespace bcl {
namespace {

using augment::ChannelNorm;
using augment::CropFlipParams;
using augment::SimParams;

void crop_flip_params_cpu(const Tensor& indices, const Tensor& params,
                          const augment::SampleKey& key, const augment::CropFlipConfig& cfg,
                          int64_t height, int64_t width) {
  const int64_t* idx = indices.data<int64_t>();
  auto* out = reinterpret_cast<CropFlipParams*>(params.data<int64_t>());
  const int64_t n = indices.numel();
#pragma omp parallel for if (n > 256)
  for (int64_t i = 0; i < n; ++i) {
    augment::PhiloxStream g = augment::sample_stream(key, idx[i]);
    out[i] = augment::draw_crop_flip(cfg, height, width, g);
  }
}

void sim_params_cpu(const Tensor& indices, const Tensor& params, const augment::SampleKey& key,
                    const augment::SimConfig& cfg, double log_ratio_lo, double log_ratio_hi,
                    int64_t height, int64_t width) {
  const int64_t* idx = indices.data<int64_t>();
  auto* out = reinterpret_cast<SimParams*>(params.data<int64_t>());
  const int64_t n = indices.numel();
#pragma omp parallel for if (n > 256)
  for (int64_t i = 0; i < n; ++i) {
    augment::PhiloxStream g = augment::sample_stream(key, idx[i]);
    out[i] = augment::draw_sim(cfg, log_ratio_lo, log_ratio_hi, height, width, g);
  }
}

void fill_nan(float* dst, int64_t n) {
  for (int64_t j = 0; j < n; ++j) dst[j] = std::numeric_limits<float>::quiet_NaN();
}

void crop_flip_cpu(const Tensor& images, const PackedGeometry& geo, const Tensor& indices,
                   const Tensor& params, const ChannelNorm& norm, const Tensor& out) {
  const auto* bytes = reinterpret_cast<const uint8_t*>(images.data<int64_t>());
  const int64_t* idx = indices.data<int64_t>();
  const auto* prm = reinterpret_cast<const CropFlipParams*>(params.data<int64_t>());
  float* dst = out.data<float>();
  const int64_t n = out.size(0), size = out.size(3), plane = size * size;
#pragma omp parallel for if (n > 16)
  for (int64_t i = 0; i < n; ++i) {
    float* o = dst + i * 3 * plane;
    if (idx[i] < 0 || idx[i] >= geo.count) {
      fill_nan(o, 3 * plane);
      continue;
    }
    const uint8_t* img = bytes + idx[i] * geo.height * geo.width * 3;
    const CropFlipParams p = prm[i];
    for (int64_t c = 0; c < 3; ++c) {
      for (int64_t y = 0; y < size; ++y) {
        for (int64_t x = 0; x < size; ++x) {
          const int64_t sy = p.top + y, sx = p.left + (p.flip ? size - 1 - x : x);
          const bool cut = y >= p.cut_y0 && y < p.cut_y1 && x >= p.cut_x0 && x < p.cut_x1;
          const bool inside = sy >= 0 && sy < geo.height && sx >= 0 && sx < geo.width;
          const uint8_t v = inside && !cut ? img[(sy * geo.width + sx) * 3 + c] : 0;
          o[c * plane + y * size + x] = augment::normalize_value(v, norm, static_cast<int>(c));
        }
      }
    }
  }
}

// One sim view into dst (3 planes of size x size), in the CUDA kernel's phases.
void sim_image(const uint8_t* img, int64_t width, const SimParams& p, int64_t size,
               const ChannelNorm& norm, std::vector<uint8_t>& buf, float* dst) {
  const int64_t plane = size * size;
  buf.resize(static_cast<size_t>(plane * 3));
  uint8_t* px = buf.data();
  // Resize the box, mirrored: output column x samples the resized box at size - 1 - x.
  const uint8_t* box = img + (static_cast<int64_t>(p.top) * width + p.left) * 3;
  std::vector<augment::Tap> ty(static_cast<size_t>(size)), tx(static_cast<size_t>(size));
  for (int64_t o = 0; o < size; ++o) {
    ty[static_cast<size_t>(o)] = augment::bilinear_tap(o, p.height, size);
    tx[static_cast<size_t>(o)] = augment::bilinear_tap(p.flip ? size - 1 - o : o, p.width, size);
  }
  for (int64_t y = 0; y < size; ++y)
    for (int64_t x = 0; x < size; ++x)
      for (int c = 0; c < 3; ++c)
        px[(y * size + x) * 3 + c] = augment::bilinear_value(box, width, ty[static_cast<size_t>(y)],
                                                             tx[static_cast<size_t>(x)], c);
  if (p.jitter) {
    const uint8_t shift = augment::hue_shift(p.hue);
    for (int32_t step : p.order) {
      if (!((p.enabled >> step) & 1)) continue;
      uint8_t mean = 0;
      if (step == augment::kContrast) {
        uint64_t sum = 0;
        for (int64_t q = 0; q < plane; ++q)
          sum += augment::luma(px[3 * q], px[3 * q + 1], px[3 * q + 2]);
        mean = augment::contrast_mean(sum, plane);
      }
      for (int64_t q = 0; q < plane; ++q) augment::jitter_pixel(step, p, mean, shift, px + 3 * q);
    }
  }
  if (p.gray) {
    for (int64_t q = 0; q < plane; ++q) augment::grayscale_pixel(px + 3 * q);
  }
  for (int c = 0; c < 3; ++c)
    for (int64_t q = 0; q < plane; ++q)
      dst[c * plane + q] = augment::normalize_value(px[3 * q + c], norm, c);
}

void sim_cpu(const Tensor& images, const PackedGeometry& geo, const Tensor& indices,
             const Tensor& params, const ChannelNorm& norm, const Tensor& out) {
  const auto* bytes = reinterpret_cast<const uint8_t*>(images.data<int64_t>());
  const int64_t* idx = indices.data<int64_t>();
  const auto* prm = reinterpret_cast<const SimParams*>(params.data<int64_t>());
  float* dst = out.data<float>();
  const int64_t n = out.size(0), size = out.size(3), plane = size * size;
#pragma omp parallel if (n > 4)
  {
    std::vector<uint8_t> buf;
#pragma omp for
    for (int64_t i = 0; i < n; ++i) {
      float* o = dst + i * 3 * plane;
      if (idx[i] < 0 || idx[i] >= geo.count) {
        fill_nan(o, 3 * plane);
        continue;
      }
      sim_image(bytes + idx[i] * geo.height * geo.width * 3, geo.width, prm[i], size, norm, buf, o);
    }
  }
}

const KernelRegistrar reg_crop_flip_params(crop_flip_params_kernels(), Device::CPU, DType::Int64,
                                           &crop_flip_params_cpu);
const KernelRegistrar reg_sim_params(sim_params_kernels(), Device::CPU, DType::Int64,
                                     &sim_params_cpu);
const KernelRegistrar reg_crop_flip(crop_flip_kernels(), Device::CPU, DType::Float32,
                                    &crop_flip_cpu);
const KernelRegistrar reg_sim(sim_kernels(), Device::CPU, DType::Float32, &sim_cpu);

}  // namespace
}  // namespace bcl
