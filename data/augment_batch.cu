// CUDA kernels of the batched augmentations, beside the CPU kernels of augment_batch.cpp: the draws
// (one thread per sample) and the renders (one block per sample, its staged views in shared
// memory), both augment_batch.h's draw_view and render_view compiled for the device. Built with
// --fmad=false, so every product that feeds a sum rounds on its own as on the host; the per-image
// statistics are integer counts and sums, the same in any order.
#include "data/augment_batch.h"
#include "tensor/kernels/cuda_strided.cuh"

namespace bcl::augment {
namespace {

template <class Config, class Params>
__global__ void draw_kernel(const int64_t* idx, Params* out, int64_t n, SampleKey key, Config cfg,
                            DrawArgs args) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
    PhiloxStream g = sample_stream(key, idx[i]);
    out[i] = draw_view(g, cfg, args);
  }
}

template <class Config>
void draw_cuda(const Tensor& indices, const Tensor& params, const SampleKey& key, const Config& cfg,
               const DrawArgs& args) {
  const int64_t n = indices.numel();
  if (n == 0) return;
  draw_kernel<<<cuda::blocks_for(n), cuda::kThreadsPerBlock, 0, cuda::stream()>>>(
      indices.data<int64_t>(), reinterpret_cast<ParamsOf<Config>*>(params.data<int64_t>()), n, key,
      cfg, args);
  BCL_CUDA_CHECK_LAUNCH();
}

// run_step's loops over a block: thread t takes k = t, t + blockDim.x, ...; the scratch lives in
// shared memory.
struct BlockLoop {
  int32_t* hist;
  uint8_t* luts;
  unsigned long long& sum;
  int32_t* coord_buf;

  template <class F>
  __device__ void each(int64_t n, F&& f) const {
    for (int64_t k = threadIdx.x; k < n; k += blockDim.x) f(k);
  }
  __device__ void sync() const { __syncthreads(); }
  __device__ static void add(unsigned long long* p, unsigned long long v) { atomicAdd(p, v); }
  __device__ static void inc(int32_t* p) { atomicAdd(p, 1); }
  __device__ int32_t* coords(int64_t) const { return coord_buf; }
};

constexpr int kRenderThreads = 256;

// One block per sample (looping when the grid is capped). Every branch depends on the sample's
// params only, so all threads of the block reach each barrier.
template <class Config, class Params>
__global__ void __launch_bounds__(kRenderThreads)
    render_kernel(const uint8_t* bytes, const int64_t* idx, const Params* prm, Config cfg,
                  RenderArgs args, ChannelNorm norm, float* out, int64_t n) {
  extern __shared__ uint8_t views[];
  __shared__ int32_t hist[3 * 256];
  __shared__ uint8_t luts[3 * 256];
  __shared__ unsigned long long sum;
  __shared__ int32_t coords[2 * kMaxPolicyViewSize];
  BlockLoop L{hist, luts, sum, coords};
  const int32_t size = view_size(cfg);
  const int64_t plane = static_cast<int64_t>(size) * size;
  for (int64_t i = blockIdx.x; i < n; i += gridDim.x) {
    float* dst = out + i * 3 * plane;
    const int64_t index = idx[i];
    if (index < 0 || index >= args.count) {
      L.each(3 * plane, [&](int64_t k) { dst[k] = __int_as_float(0x7fc00000); });
      continue;
    }
    render_view(L, bytes + index * args.height * args.width * 3, args, prm[i], cfg, norm, views,
                views + 3 * plane, dst);
    __syncthreads();  // the next sample overwrites the views
  }
}

template <class Config>
void render_cuda(const Tensor& images, const Tensor& indices, const Tensor& params,
                 const Config& cfg, const RenderArgs& args, const ChannelNorm& norm,
                 const Tensor& out) {
  const int64_t n = out.size(0);
  if (n == 0) return;
  const auto smem = static_cast<size_t>(staging_bytes(cfg));
  auto* kernel = &render_kernel<Config, ParamsOf<Config>>;
  if (smem > 48 * 1024) {
    BCL_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, smem));
  }
  const auto grid = static_cast<unsigned>(n < 65536 ? n : 65536);
  kernel<<<grid, kRenderThreads, smem, cuda::stream()>>>(
      reinterpret_cast<const uint8_t*>(images.data<int64_t>()), indices.data<int64_t>(),
      reinterpret_cast<const ParamsOf<Config>*>(params.data<int64_t>()), cfg, args, norm,
      out.data<float>(), n);
  BCL_CUDA_CHECK_LAUNCH();
}

template <class Config>
struct RegisterCuda {
  RegisterCuda() {
    draw_kernels<Config>().set(Device::CUDA, DType::Int64, &draw_cuda<Config>);
    render_kernels<Config>().set(Device::CUDA, DType::Float32, &render_cuda<Config>);
  }
};
const RegisterCuda<CropFlipConfig> reg_crop_flip;
const RegisterCuda<SimConfig> reg_sim;
const RegisterCuda<AutoAugCutoutConfig> reg_autoaug_cutout;
const RegisterCuda<RandViewConfig> reg_rand_view;
const RegisterCuda<RandAugConfig> reg_randaug;

}  // namespace
}  // namespace bcl::augment
