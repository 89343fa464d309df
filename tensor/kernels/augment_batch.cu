// CUDA kernels of the batched augmentations, registered beside the CPU twins of
// tensor/kernels/augment_batch.cpp: the per-sample draws (one thread per sample) and the views
// themselves from images resident on the GPU (crop-flip: one thread per output value; sim: one
// block per image, one thread per output pixel, looping when the image has more pixels than the
// block threads).
//
// Exactness: the draws and the pixel math are the functions of augment_params.h and
// augment_pixels.h, compiled for the device, where every product that feeds a sum is an explicit
// __fmul_rn / __dmul_rn or a single __fma_rn, so they give the CPU twin's bytes and floats bit for
// bit. The one exception is exp() in the resized-crop draw (see augment_params.h).
#include "tensor/kernels/augment_batch.h"
#include "tensor/kernels/augment_pixels.h"
#include "tensor/kernels/cuda_strided.cuh"

namespace bcl {
namespace {

using augment::ChannelNorm;
using augment::CropFlipParams;
using augment::SimParams;

__global__ void crop_flip_params_kernel(const int64_t* idx, CropFlipParams* out, int64_t n,
                                        augment::SampleKey key, augment::CropFlipConfig cfg,
                                        int64_t height, int64_t width) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
    augment::PhiloxStream g = augment::sample_stream(key, idx[i]);
    out[i] = augment::draw_crop_flip(cfg, height, width, g);
  }
}

__global__ void sim_params_kernel(const int64_t* idx, SimParams* out, int64_t n,
                                  augment::SampleKey key, augment::SimConfig cfg,
                                  double log_ratio_lo, double log_ratio_hi, int64_t height,
                                  int64_t width) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
    augment::PhiloxStream g = augment::sample_stream(key, idx[i]);
    out[i] = augment::draw_sim(cfg, log_ratio_lo, log_ratio_hi, height, width, g);
  }
}

void crop_flip_params_cuda(const Tensor& indices, const Tensor& params,
                           const augment::SampleKey& key, const augment::CropFlipConfig& cfg,
                           int64_t height, int64_t width) {
  const int64_t n = indices.numel();
  if (n == 0) return;
  crop_flip_params_kernel<<<cuda::blocks_for(n), cuda::kThreadsPerBlock, 0, cuda::stream()>>>(
      indices.data<int64_t>(), reinterpret_cast<CropFlipParams*>(params.data<int64_t>()), n, key,
      cfg, height, width);
  BCL_CUDA_CHECK_LAUNCH();
}

void sim_params_cuda(const Tensor& indices, const Tensor& params, const augment::SampleKey& key,
                     const augment::SimConfig& cfg, double log_ratio_lo, double log_ratio_hi,
                     int64_t height, int64_t width) {
  const int64_t n = indices.numel();
  if (n == 0) return;
  sim_params_kernel<<<cuda::blocks_for(n), cuda::kThreadsPerBlock, 0, cuda::stream()>>>(
      indices.data<int64_t>(), reinterpret_cast<SimParams*>(params.data<int64_t>()), n, key, cfg,
      log_ratio_lo, log_ratio_hi, height, width);
  BCL_CUDA_CHECK_LAUNCH();
}

// Element e of out [n, 3, size, size] is (i, c, y, x); consecutive threads write consecutive x.
__global__ void crop_flip_kernel(const uint8_t* bytes, PackedGeometry geo, const int64_t* idx,
                                 const CropFlipParams* prm, ChannelNorm norm, float* out,
                                 int64_t total, int64_t size) {
  const int64_t plane = size * size;
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < total;
       e += step) {
    const int64_t x = e % size, y = (e / size) % size;
    const auto c = static_cast<int>((e / plane) % 3);
    const int64_t i = e / (3 * plane);
    const int64_t index = idx[i];
    if (index < 0 || index >= geo.count) {
      out[e] = __int_as_float(0x7fc00000);  // quiet NaN
      continue;
    }
    const CropFlipParams p = prm[i];
    const int64_t sy = p.top + y, sx = p.left + (p.flip ? size - 1 - x : x);
    const bool cut = y >= p.cut_y0 && y < p.cut_y1 && x >= p.cut_x0 && x < p.cut_x1;
    const bool inside = sy >= 0 && sy < geo.height && sx >= 0 && sx < geo.width;
    const uint8_t v =
        inside && !cut ? bytes[((index * geo.height + sy) * geo.width + sx) * 3 + c] : 0;
    out[e] = augment::normalize_value(v, norm, c);
  }
}

void crop_flip_cuda(const Tensor& images, const PackedGeometry& geo, const Tensor& indices,
                    const Tensor& params, const ChannelNorm& norm, const Tensor& out) {
  const int64_t total = out.numel();
  if (total == 0) return;
  crop_flip_kernel<<<cuda::blocks_for(total), cuda::kThreadsPerBlock, 0, cuda::stream()>>>(
      reinterpret_cast<const uint8_t*>(images.data<int64_t>()), geo, indices.data<int64_t>(),
      reinterpret_cast<const CropFlipParams*>(params.data<int64_t>()), norm, out.data<float>(),
      total, out.size(3));
  BCL_CUDA_CHECK_LAUNCH();
}

// The sim kernel's block: a power of two for the tree reduction of the contrast step's luma sum.
constexpr int kSimThreads = 256;
// The view lives in shared memory as uint8 HWC (dynamic), beside the reduction's partial sums.
constexpr size_t kSimSharedLimit = 48 * 1024 - kSimThreads * sizeof(unsigned long long);

// One block per image (looping over images when the grid is capped). Each thread owns the pixels
// q = threadIdx.x + k * blockDim.x of the view in every phase, so the phases need no barrier
// between them; only the contrast step's sum of luma over the whole view reduces across threads.
// Every branch on p is uniform over the block, so the barriers inside are reached by all threads.
__global__ void __launch_bounds__(kSimThreads)
    sim_kernel(const uint8_t* bytes, PackedGeometry geo, const int64_t* idx, const SimParams* prm,
               ChannelNorm norm, float* out, int64_t n, int64_t size) {
  extern __shared__ uint8_t px[];
  __shared__ unsigned long long partial[kSimThreads];
  const int64_t plane = size * size;
  const int tid = static_cast<int>(threadIdx.x);
  for (int64_t i = blockIdx.x; i < n; i += gridDim.x) {
    float* dst = out + i * 3 * plane;
    const int64_t index = idx[i];
    if (index < 0 || index >= geo.count) {
      for (int64_t q = tid; q < 3 * plane; q += blockDim.x) dst[q] = __int_as_float(0x7fc00000);
      continue;
    }
    const SimParams p = prm[i];
    const uint8_t* box =
        bytes + ((index * geo.height + p.top) * geo.width + static_cast<int64_t>(p.left)) * 3;
    for (int64_t q = tid; q < plane; q += blockDim.x) {
      const int64_t y = q / size, x = q % size;
      const augment::Tap ty = augment::bilinear_tap(y, p.height, size);
      const augment::Tap tx = augment::bilinear_tap(p.flip ? size - 1 - x : x, p.width, size);
      for (int c = 0; c < 3; ++c)
        px[3 * q + c] = augment::bilinear_value(box, geo.width, ty, tx, c);
    }
    if (p.jitter) {
      const uint8_t shift = augment::hue_shift(p.hue);
      for (int k = 0; k < 4; ++k) {
        const int32_t s = p.order[k];
        if (!((p.enabled >> s) & 1)) continue;
        uint8_t mean = 0;
        if (s == augment::kContrast) {
          unsigned long long sum = 0;
          for (int64_t q = tid; q < plane; q += blockDim.x)
            sum += augment::luma(px[3 * q], px[3 * q + 1], px[3 * q + 2]);
          partial[tid] = sum;
          __syncthreads();
          for (int half = kSimThreads / 2; half > 0; half /= 2) {
            if (tid < half) partial[tid] += partial[tid + half];
            __syncthreads();
          }
          mean = augment::contrast_mean(partial[0], plane);
          __syncthreads();  // partial[0] is read by all before the next image may overwrite it
        }
        for (int64_t q = tid; q < plane; q += blockDim.x)
          augment::jitter_pixel(s, p, mean, shift, px + 3 * q);
      }
    }
    if (p.gray) {
      for (int64_t q = tid; q < plane; q += blockDim.x) augment::grayscale_pixel(px + 3 * q);
    }
    for (int64_t q = tid; q < plane; q += blockDim.x) {
      for (int c = 0; c < 3; ++c)
        dst[c * plane + q] = augment::normalize_value(px[3 * q + c], norm, c);
    }
  }
}

void sim_cuda(const Tensor& images, const PackedGeometry& geo, const Tensor& indices,
              const Tensor& params, const ChannelNorm& norm, const Tensor& out) {
  const int64_t n = out.size(0), size = out.size(3);
  if (n == 0) return;
  const auto smem = static_cast<size_t>(size * size * 3);
  BCL_CHECK(smem <= kSimSharedLimit, "augment_sim: a ", size, "x", size,
            " view does not fit the CUDA kernel's shared memory (at most ", kSimSharedLimit,
            " bytes of pixels, sides up to 124)");
  const auto grid = static_cast<unsigned>(n < 65536 ? n : 65536);
  sim_kernel<<<grid, kSimThreads, smem, cuda::stream()>>>(
      reinterpret_cast<const uint8_t*>(images.data<int64_t>()), geo, indices.data<int64_t>(),
      reinterpret_cast<const SimParams*>(params.data<int64_t>()), norm, out.data<float>(), n, size);
  BCL_CUDA_CHECK_LAUNCH();
}

const KernelRegistrar reg_crop_flip_params(crop_flip_params_kernels(), Device::CUDA, DType::Int64,
                                           &crop_flip_params_cuda);
const KernelRegistrar reg_sim_params(sim_params_kernels(), Device::CUDA, DType::Int64,
                                     &sim_params_cuda);
const KernelRegistrar reg_crop_flip(crop_flip_kernels(), Device::CUDA, DType::Float32,
                                    &crop_flip_cuda);
const KernelRegistrar reg_sim(sim_kernels(), Device::CUDA, DType::Float32, &sim_cuda);

}  // namespace
}  // namespace bcl
