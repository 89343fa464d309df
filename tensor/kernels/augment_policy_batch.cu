// CUDA kernels of the batched "autoaug-cutout" view, registered beside the CPU twins of
// augment_policy_batch.cpp: the draws (one thread per sample) and the views from images resident
// on the GPU (one block per image, the view staged in shared memory).
//
// Exactness: the draws and the pixel math are augment_policy.h's and augment_policy_pixels.h's
// functions compiled for the device, with every product that feeds a sum an explicit __fmul_rn /
// __dmul_rn or a single __fma_rn, and rotate's matrix computed on the host; the per-image
// statistics are integer counts and sums, the same in any order. So the views equal the CPU
// twin's bit for bit.
#include "tensor/kernels/augment_policy_batch.h"
#include "tensor/kernels/augment_policy_pixels.h"
#include "tensor/kernels/cuda_strided.cuh"

namespace bcl {
namespace {

using augment::AutoAugCutoutConfig;
using augment::AutoAugCutoutParams;
using augment::ChannelNorm;
using augment::PolicyTables;
using augment::StepSpec;

__global__ void autoaug_cutout_params_kernel(const int64_t* idx, AutoAugCutoutParams* out,
                                             int64_t n, augment::SampleKey key,
                                             AutoAugCutoutConfig cfg, int64_t height,
                                             int64_t width) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
    augment::PhiloxStream g = augment::sample_stream(key, idx[i]);
    out[i] = augment::draw_autoaug_cutout(cfg, height, width, g);
  }
}

void autoaug_cutout_params_cuda(const Tensor& indices, const Tensor& params,
                                const augment::SampleKey& key, const AutoAugCutoutConfig& cfg,
                                int64_t height, int64_t width) {
  const int64_t n = indices.numel();
  if (n == 0) return;
  autoaug_cutout_params_kernel<<<cuda::blocks_for(n), cuda::kThreadsPerBlock, 0, cuda::stream()>>>(
      indices.data<int64_t>(), reinterpret_cast<AutoAugCutoutParams*>(params.data<int64_t>()), n,
      key, cfg, height, width);
  BCL_CUDA_CHECK_LAUNCH();
}

constexpr int kPolicyThreads = 256;

// One block per image (looping over images when the grid is capped). The view lives in shared
// memory twice (dynamic, 2 x size x size x 3 bytes): steps that read neighbours (the warps and
// sharpness) write the other copy, then the two swap. Each thread handles pixels
// q = threadIdx.x + k blockDim.x; a barrier ends every phase, since the next one reads any pixel.
// Every branch depends on the image's params only, so all threads of the block reach each barrier.
__global__ void __launch_bounds__(kPolicyThreads)
    autoaug_cutout_kernel(const uint8_t* bytes, PackedGeometry geo, const int64_t* idx,
                          const AutoAugCutoutParams* prm, AutoAugCutoutConfig cfg,
                          PolicyTables tables, ChannelNorm norm, float* out, int64_t n) {
  extern __shared__ uint8_t views[];
  __shared__ int32_t hist[3 * 256];
  __shared__ uint8_t luts[3 * 256];
  __shared__ unsigned long long luma_sum;
  const int32_t size = cfg.size;
  const int64_t plane = static_cast<int64_t>(size) * size;
  const int tid = static_cast<int>(threadIdx.x), threads = static_cast<int>(blockDim.x);
  for (int64_t i = blockIdx.x; i < n; i += gridDim.x) {
    float* dst = out + i * 3 * plane;
    const int64_t index = idx[i];
    if (index < 0 || index >= geo.count) {
      for (int64_t q = tid; q < 3 * plane; q += threads) dst[q] = __int_as_float(0x7fc00000);
      continue;
    }
    const AutoAugCutoutParams p = prm[i];
    const uint8_t* img = bytes + index * geo.height * geo.width * 3;
    uint8_t* a = views;
    uint8_t* b = views + 3 * plane;
    for (int64_t q = tid; q < plane; q += threads)
      augment::crop_flip_pixel(img, geo.height, geo.width, p, size, q, a);
    __syncthreads();
    for (int k = 0; k < 2; ++k) {
      if (!p.apply[k]) continue;
      const StepSpec s = augment::step_spec(p.op[k], p.magnitude[k], p.sign[k], cfg, tables);
      switch (augment::step_class(s.op)) {
        case augment::kStepWarp: {
          for (int64_t q = tid; q < plane; q += threads) augment::warp_pixel(s.warp, a, size, q, b);
          uint8_t* t = a;
          a = b;
          b = t;
          break;
        }
        case augment::kStepSharpness: {
          for (int64_t q = tid; q < plane; q += threads)
            augment::sharpness_pixel(a, size, q, s.factor, b);
          uint8_t* t = a;
          a = b;
          b = t;
          break;
        }
        case augment::kStepMean: {
          if (tid == 0) luma_sum = 0;
          __syncthreads();
          unsigned long long sum = 0;
          for (int64_t q = tid; q < plane; q += threads)
            sum += augment::luma(a[3 * q], a[3 * q + 1], a[3 * q + 2]);
          atomicAdd(&luma_sum, sum);
          __syncthreads();
          const uint8_t mean = augment::contrast_mean(luma_sum, plane);
          for (int64_t q = tid; q < plane; q += threads)
            augment::point_pixel(s, mean, nullptr, a + 3 * q);
          break;
        }
        case augment::kStepHistogram: {
          for (int j = tid; j < 3 * 256; j += threads) hist[j] = 0;
          __syncthreads();
          for (int64_t q = tid; q < plane; q += threads)
            for (int c = 0; c < 3; ++c) atomicAdd(&hist[c * 256 + a[3 * q + c]], 1);
          __syncthreads();
          if (tid < 3) augment::histogram_lut(s.op, hist + tid * 256, luts + tid * 256);
          __syncthreads();
          for (int64_t q = tid; q < plane; q += threads)
            augment::point_pixel(s, 0, luts, a + 3 * q);
          break;
        }
        case augment::kStepPoint:
          for (int64_t q = tid; q < plane; q += threads)
            augment::point_pixel(s, 0, nullptr, a + 3 * q);
          break;
        default:
          break;
      }
      __syncthreads();  // the step's output is complete, and luma_sum, hist, luts are free again
    }
    for (int64_t q = tid; q < plane; q += threads) {
      const bool cut = augment::in_cutout(p, size, q);
      for (int c = 0; c < 3; ++c)
        dst[c * plane + q] = augment::normalize_value(cut ? 0 : a[3 * q + c], norm, c);
    }
    __syncthreads();  // the next image overwrites the views
  }
}

void autoaug_cutout_cuda(const Tensor& images, const PackedGeometry& geo, const Tensor& indices,
                         const Tensor& params, const AutoAugCutoutConfig& cfg,
                         const PolicyTables& tables, const ChannelNorm& norm, const Tensor& out) {
  const int64_t n = out.size(0);
  if (n == 0) return;
  BCL_CHECK(cfg.size > 0 && cfg.size <= augment::kMaxPolicyViewSize, "augment_autoaug_cutout: a ",
            cfg.size, "x", cfg.size,
            " view does not fit the CUDA kernel's shared memory (sides up to ",
            augment::kMaxPolicyViewSize, ")");
  const auto smem = static_cast<size_t>(2 * 3 * cfg.size * cfg.size);
  const auto grid = static_cast<unsigned>(n < 65536 ? n : 65536);
  autoaug_cutout_kernel<<<grid, kPolicyThreads, smem, cuda::stream()>>>(
      reinterpret_cast<const uint8_t*>(images.data<int64_t>()), geo, indices.data<int64_t>(),
      reinterpret_cast<const AutoAugCutoutParams*>(params.data<int64_t>()), cfg, tables, norm,
      out.data<float>(), n);
  BCL_CUDA_CHECK_LAUNCH();
}

const KernelRegistrar reg_autoaug_cutout_params(autoaug_cutout_params_kernels(), Device::CUDA,
                                                DType::Int64, &autoaug_cutout_params_cuda);
const KernelRegistrar reg_autoaug_cutout(autoaug_cutout_kernels(), Device::CUDA, DType::Float32,
                                         &autoaug_cutout_cuda);

}  // namespace
}  // namespace bcl
