// CUDA kernels of the batched RandAugment views ("rand" and "randaug"), registered beside the CPU
// twins of augment_rand_batch.cpp: the draws (one thread per sample) and the views from images
// resident on the GPU (one block per image, the view staged in shared memory).
//
// Exactness: the pixel math is augment_rand_pixels.h's (and the headers it builds on) compiled for
// the device, every product that feeds a sum an explicit __fmul_rn / __dmul_rn or a single
// __fma_rn, each warp's matrix taken from the params, and the per-image statistics integer sums
// and counts, the same in any order: given the same params the views equal the CPU twin's bit for
// bit. The draws are exact too except for log, cos, sin and exp (see augment_rand.h).
#include "tensor/kernels/augment_rand_batch.h"
#include "tensor/kernels/augment_rand_pixels.h"
#include "tensor/kernels/cuda_strided.cuh"

namespace bcl {
namespace {

using augment::ChannelNorm;
using augment::RandAugConfig;
using augment::RandAugParams;
using augment::RandStep;
using augment::RandViewConfig;
using augment::RandViewParams;

__global__ void rand_view_params_kernel(const int64_t* idx, RandViewParams* out, int64_t n,
                                        augment::SampleKey key, RandViewConfig cfg,
                                        double log_ratio_lo, double log_ratio_hi, int64_t height,
                                        int64_t width) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
    augment::PhiloxStream g = augment::sample_stream(key, idx[i]);
    out[i] = augment::draw_rand_view(cfg, log_ratio_lo, log_ratio_hi, height, width, g);
  }
}

__global__ void randaug_params_kernel(const int64_t* idx, RandAugParams* out, int64_t n,
                                      augment::SampleKey key, RandAugConfig cfg, int64_t height,
                                      int64_t width) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
    augment::PhiloxStream g = augment::sample_stream(key, idx[i]);
    out[i] = augment::draw_randaug(cfg, height, width, g);
  }
}

void rand_view_params_cuda(const Tensor& indices, const Tensor& params,
                           const augment::SampleKey& key, const RandViewConfig& cfg,
                           double log_ratio_lo, double log_ratio_hi, int64_t height,
                           int64_t width) {
  const int64_t n = indices.numel();
  if (n == 0) return;
  rand_view_params_kernel<<<cuda::blocks_for(n), cuda::kThreadsPerBlock, 0, cuda::stream()>>>(
      indices.data<int64_t>(), reinterpret_cast<RandViewParams*>(params.data<int64_t>()), n, key,
      cfg, log_ratio_lo, log_ratio_hi, height, width);
  BCL_CUDA_CHECK_LAUNCH();
}

void randaug_params_cuda(const Tensor& indices, const Tensor& params, const augment::SampleKey& key,
                         const RandAugConfig& cfg, int64_t height, int64_t width) {
  const int64_t n = indices.numel();
  if (n == 0) return;
  randaug_params_kernel<<<cuda::blocks_for(n), cuda::kThreadsPerBlock, 0, cuda::stream()>>>(
      indices.data<int64_t>(), reinterpret_cast<RandAugParams*>(params.data<int64_t>()), n, key,
      cfg, height, width);
  BCL_CUDA_CHECK_LAUNCH();
}

constexpr int kRandThreads = 256;

// What a block shares besides its two views.
struct BlockScratch {
  int32_t* hist;                 // 3 x 256
  uint8_t* luts;                 // 3 x 256
  unsigned long long* luma_sum;  // one
};

// The view's mean luma (contrast_mean). Every thread of the block calls it: the barriers make the
// view's pixels complete before the sum and keep luma_sum until all have read it.
__device__ uint8_t block_mean_luma(const uint8_t* px, int64_t plane, const BlockScratch& s) {
  const int tid = static_cast<int>(threadIdx.x), threads = static_cast<int>(blockDim.x);
  __syncthreads();
  if (tid == 0) *s.luma_sum = 0;
  __syncthreads();
  unsigned long long sum = 0;
  for (int64_t q = tid; q < plane; q += threads)
    sum += augment::luma(px[3 * q], px[3 * q + 1], px[3 * q + 2]);
  atomicAdd(s.luma_sum, sum);
  __syncthreads();
  const uint8_t mean = augment::contrast_mean(*s.luma_sum, plane);
  __syncthreads();
  return mean;
}

// RandAugment's steps on the view in a (b is scratch), by the whole block; returns the buffer that
// holds the result. Each thread handles pixels q = threadIdx.x + k blockDim.x; a barrier ends every
// step, since the next one may read any pixel. Every branch depends on the image's params only, so
// all threads of the block reach each barrier.
__device__ uint8_t* run_rand_steps(const RandStep (&steps)[augment::kMaxRandOps],
                                   const uint8_t* fill, int32_t size, uint8_t* a, uint8_t* b,
                                   const BlockScratch& s) {
  const int64_t plane = static_cast<int64_t>(size) * size;
  const int tid = static_cast<int>(threadIdx.x), threads = static_cast<int>(blockDim.x);
  for (int k = 0; k < augment::kMaxRandOps; ++k) {
    const augment::RandStepPlan plan = augment::rand_step_plan(steps[k], fill);
    switch (plan.cls) {
      case augment::kStepWarp: {
        for (int64_t q = tid; q < plane; q += threads)
          augment::rand_warp_pixel(plan.spec.warp, a, size, q, b);
        uint8_t* t = a;
        a = b;
        b = t;
        break;
      }
      case augment::kStepSharpness: {
        for (int64_t q = tid; q < plane; q += threads)
          augment::sharpness_pixel(a, size, q, plan.spec.factor, b);
        uint8_t* t = a;
        a = b;
        b = t;
        break;
      }
      case augment::kStepMean: {
        const uint8_t mean = block_mean_luma(a, plane, s);
        for (int64_t q = tid; q < plane; q += threads)
          augment::rand_point_pixel(plan, mean, nullptr, a + 3 * q);
        break;
      }
      case augment::kStepHistogram: {
        for (int j = tid; j < 3 * 256; j += threads) s.hist[j] = 0;
        __syncthreads();
        for (int64_t q = tid; q < plane; q += threads)
          for (int c = 0; c < 3; ++c) atomicAdd(&s.hist[c * 256 + a[3 * q + c]], 1);
        __syncthreads();
        if (tid < 3) augment::histogram_lut(plan.spec.op, s.hist + tid * 256, s.luts + tid * 256);
        __syncthreads();
        for (int64_t q = tid; q < plane; q += threads)
          augment::rand_point_pixel(plan, 0, s.luts, a + 3 * q);
        break;
      }
      case augment::kStepPoint:
        for (int64_t q = tid; q < plane; q += threads)
          augment::rand_point_pixel(plan, 0, nullptr, a + 3 * q);
        break;
      default:
        break;
    }
    __syncthreads();  // the step's output is complete, and hist and luts are free again
  }
  return a;
}

__device__ void write_normalized(const uint8_t* px, int64_t plane, const ChannelNorm& norm,
                                 float* dst) {
  for (int64_t q = threadIdx.x; q < plane; q += blockDim.x)
    for (int c = 0; c < 3; ++c)
      dst[c * plane + q] = augment::normalize_value(px[3 * q + c], norm, c);
}

__device__ void write_nan(int64_t count, float* dst) {
  for (int64_t q = threadIdx.x; q < count; q += blockDim.x) dst[q] = __int_as_float(0x7fc00000);
}

// The sim view (resized crop, jitter steps, grayscale) of img in a, by the whole block. Each pixel
// is on its own, but contrast needs the whole view's mean; the caller's barrier ends the stage.
__device__ void sim_view_block(const augment::SimParams& sim, const uint8_t* img, int64_t width,
                               int32_t size, uint8_t* a, const BlockScratch& scratch) {
  const int64_t plane = static_cast<int64_t>(size) * size;
  const int tid = static_cast<int>(threadIdx.x), threads = static_cast<int>(blockDim.x);
  for (int64_t q = tid; q < plane; q += threads)
    augment::sim_crop_pixel(img, width, sim, size, q, a);
  __syncthreads();
  if (sim.jitter) {
    const uint8_t shift = augment::hue_shift(sim.hue);
    for (int k = 0; k < 4; ++k) {
      const int32_t step = sim.order[k];
      if (!((sim.enabled >> step) & 1)) continue;
      const uint8_t mean = step == augment::kContrast ? block_mean_luma(a, plane, scratch) : 0;
      for (int64_t q = tid; q < plane; q += threads)
        augment::jitter_pixel(step, sim, mean, shift, a + 3 * q);
      __syncthreads();
    }
  }
  if (sim.gray)
    for (int64_t q = tid; q < plane; q += threads) augment::grayscale_pixel(a + 3 * q);
}

// The loop both RandAugment kernels run: one block per image (looping over images when the grid
// is capped), the view held twice in dynamic shared memory (2 x size x size x 3 bytes). Phases:
// first_stage(p, img, view, scratch) makes the view RandAugment starts from (the sim view, or
// randaug's crop and flip), then RandAugment's steps, then the normalised output. A sample whose
// index is out of range gets NaNs.
template <class Params, class FirstStage>
__device__ void rand_views_block_loop(const uint8_t* bytes, const PackedGeometry& geo,
                                      const int64_t* idx, const Params* prm, int32_t size,
                                      const uint8_t* fill, const ChannelNorm& norm, float* out,
                                      int64_t n, FirstStage first_stage) {
  extern __shared__ uint8_t views[];
  __shared__ int32_t hist[3 * 256];
  __shared__ uint8_t luts[3 * 256];
  __shared__ unsigned long long luma_sum;
  const BlockScratch scratch{hist, luts, &luma_sum};
  const int64_t plane = static_cast<int64_t>(size) * size;
  for (int64_t i = blockIdx.x; i < n; i += gridDim.x) {
    float* dst = out + i * 3 * plane;
    const int64_t index = idx[i];
    if (index < 0 || index >= geo.count) {
      write_nan(3 * plane, dst);
      continue;
    }
    const Params p = prm[i];
    first_stage(p, bytes + index * geo.height * geo.width * 3, views, scratch);
    __syncthreads();
    const uint8_t* a = run_rand_steps(p.step, fill, size, views, views + 3 * plane, scratch);
    write_normalized(a, plane, norm, dst);
    __syncthreads();  // the next image overwrites the views
  }
}

__global__ void __launch_bounds__(kRandThreads)
    rand_view_kernel(const uint8_t* bytes, PackedGeometry geo, const int64_t* idx,
                     const RandViewParams* prm, RandViewConfig cfg, ChannelNorm norm, float* out,
                     int64_t n) {
  const int32_t size = cfg.sim.size;
  rand_views_block_loop(
      bytes, geo, idx, prm, size, cfg.rand.fill, norm, out, n,
      [&](const RandViewParams& p, const uint8_t* img, uint8_t* a, const BlockScratch& scratch) {
        sim_view_block(p.sim, img, geo.width, size, a, scratch);
      });
}

__global__ void __launch_bounds__(kRandThreads)
    randaug_kernel(const uint8_t* bytes, PackedGeometry geo, const int64_t* idx,
                   const RandAugParams* prm, RandAugConfig cfg, ChannelNorm norm, float* out,
                   int64_t n) {
  const int32_t size = cfg.size;
  rand_views_block_loop(
      bytes, geo, idx, prm, size, cfg.rand.fill, norm, out, n,
      [&](const RandAugParams& p, const uint8_t* img, uint8_t* a, const BlockScratch&) {
        const int64_t plane = static_cast<int64_t>(size) * size;
        for (int64_t q = threadIdx.x; q < plane; q += blockDim.x)
          augment::randaug_crop_pixel(img, geo.height, geo.width, p, size, q, a);
      });
}

void check_view_size(int32_t size, const char* op) {
  BCL_CHECK(size > 0 && size <= augment::kMaxPolicyViewSize, op, ": a ", size, "x", size,
            " view does not fit the CUDA kernel's shared memory (sides up to ",
            augment::kMaxPolicyViewSize, ")");
}

unsigned grid_for(int64_t n) {
  return static_cast<unsigned>(n < 65536 ? n : 65536);
}

void rand_view_cuda(const Tensor& images, const PackedGeometry& geo, const Tensor& indices,
                    const Tensor& params, const RandViewConfig& cfg, const ChannelNorm& norm,
                    const Tensor& out) {
  const int64_t n = out.size(0);
  if (n == 0) return;
  check_view_size(cfg.sim.size, "augment_rand_view");
  const auto smem = static_cast<size_t>(2 * 3 * cfg.sim.size * cfg.sim.size);
  rand_view_kernel<<<grid_for(n), kRandThreads, smem, cuda::stream()>>>(
      reinterpret_cast<const uint8_t*>(images.data<int64_t>()), geo, indices.data<int64_t>(),
      reinterpret_cast<const RandViewParams*>(params.data<int64_t>()), cfg, norm, out.data<float>(),
      n);
  BCL_CUDA_CHECK_LAUNCH();
}

void randaug_cuda(const Tensor& images, const PackedGeometry& geo, const Tensor& indices,
                  const Tensor& params, const RandAugConfig& cfg, const ChannelNorm& norm,
                  const Tensor& out) {
  const int64_t n = out.size(0);
  if (n == 0) return;
  check_view_size(cfg.size, "augment_randaug");
  const auto smem = static_cast<size_t>(2 * 3 * cfg.size * cfg.size);
  randaug_kernel<<<grid_for(n), kRandThreads, smem, cuda::stream()>>>(
      reinterpret_cast<const uint8_t*>(images.data<int64_t>()), geo, indices.data<int64_t>(),
      reinterpret_cast<const RandAugParams*>(params.data<int64_t>()), cfg, norm, out.data<float>(),
      n);
  BCL_CUDA_CHECK_LAUNCH();
}

const KernelRegistrar reg_rand_view_params(rand_view_params_kernels(), Device::CUDA, DType::Int64,
                                           &rand_view_params_cuda);
const KernelRegistrar reg_randaug_params(randaug_params_kernels(), Device::CUDA, DType::Int64,
                                         &randaug_params_cuda);
const KernelRegistrar reg_rand_view(rand_view_kernels(), Device::CUDA, DType::Float32,
                                    &rand_view_cuda);
const KernelRegistrar reg_randaug(randaug_kernels(), Device::CUDA, DType::Float32, &randaug_cuda);

}  // namespace
}  // namespace bcl
