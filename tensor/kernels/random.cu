// CUDA random fills, registered beside the CPU ones of tensor/kernels/random.cpp: the same Philox
// 4x32-10 blocks turned into numbers by the same float math, so a fill gives the CPU's stream.
//
// Exactness. Every step but the transcendental functions is an exactly specified IEEE operation,
// written here as an explicit intrinsic so that nvcc cannot contract or reorder it (nvcc fuses
// a * b + c into an FMA by default). The CPU build (g++ -O3 -march=native) does contract
// `a + (b - a) * u` and `a + (b * r) * cos(theta)` into FMAs, so those two are __fma_rn here and
// nothing else is. Uniform fills are then bit-identical to the CPU's. Normal fills call log,
// sqrt and sincos: sqrt is correctly rounded on both, but CUDA's double log and sin/cos may differ
// from glibc's by an ulp or two (CUDA Programming Guide, "Mathematical functions"), so normal
// float64 values agree to a few ulps and normal float32 values, rounded from those doubles, agree
// exactly except, rarely, by one float ulp.
#include <cstdint>

#include "tensor/kernels/cuda_strided.cuh"
#include "tensor/kernels/random.h"

namespace bcl {
namespace {

struct Words {
  uint32_t w[4];
};

// tensor/random.cpp's philox4x32_10, with counter {block, 0, 0} and key seed.
__device__ Words philox_block(uint64_t seed, uint64_t block) {
  constexpr uint64_t kM0 = 0xD2511F53, kM1 = 0xCD9E8D57;
  constexpr uint32_t kW0 = 0x9E3779B9, kW1 = 0xBB67AE85;
  uint32_t c0 = static_cast<uint32_t>(block), c1 = static_cast<uint32_t>(block >> 32), c2 = 0,
           c3 = 0;
  uint32_t k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      k0 += kW0;
      k1 += kW1;
    }
    const uint64_t p0 = kM0 * c0, p1 = kM1 * c2;
    const uint32_t n0 = static_cast<uint32_t>(p1 >> 32) ^ c1 ^ k0;
    const uint32_t n1 = static_cast<uint32_t>(p1);
    const uint32_t n2 = static_cast<uint32_t>(p0 >> 32) ^ c3 ^ k1;
    const uint32_t n3 = static_cast<uint32_t>(p0);
    c0 = n0;
    c1 = n1;
    c2 = n2;
    c3 = n3;
  }
  return {{c0, c1, c2, c3}};
}

// tensor/random.h's uint32_to_unit_float and uint64_to_unit_double: both products are exact
// (an integer below 2^24 or 2^53 times a power of two).
__device__ double unit_from_u32(uint32_t x) {
  return static_cast<double>(__fmul_rn(static_cast<float>(x >> 8), 0x1.0p-24f));
}
__device__ double unit_from_u64(uint32_t hi, uint32_t lo) {
  const uint64_t x = (static_cast<uint64_t>(hi) << 32) | lo;
  return __dmul_rn(static_cast<double>(x >> 11), 0x1.0p-53);
}

// Block k gives elements [k * per_block, (k + 1) * per_block): 4 per block for float32 (one word
// each), 2 for float64 (two words each, high word first).
template <class T>
__global__ void uniform_kernel(T* p, int64_t n, int64_t blocks, double a, double b, uint64_t seed,
                               uint64_t first_block) {
  constexpr bool f32 = sizeof(T) == 4;
  constexpr int64_t per_block = f32 ? 4 : 2;
  const double width = __dsub_rn(b, a);
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t blk = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; blk < blocks;
       blk += step) {
    const Words r = philox_block(seed, first_block + static_cast<uint64_t>(blk));
    for (int64_t j = 0; j < per_block && blk * per_block + j < n; ++j) {
      const double u = f32 ? unit_from_u32(r.w[j]) : unit_from_u64(r.w[2 * j], r.w[2 * j + 1]);
      p[blk * per_block + j] = static_cast<T>(__fma_rn(width, u, a));
    }
  }
}

// Box-Muller, as on the CPU: block k gives the pair (2k, 2k + 1) = a + b r (cos, sin)(2 pi u2)
// with r = sqrt(-2 ln u1), u1 = 1 - uniform in (0, 1].
template <class T>
__global__ void normal_kernel(T* p, int64_t n, int64_t pairs, double a, double b, uint64_t seed,
                              uint64_t first_block) {
  constexpr bool f32 = sizeof(T) == 4;
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t k = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; k < pairs;
       k += step) {
    const Words w = philox_block(seed, first_block + static_cast<uint64_t>(k));
    double u1, u2;
    if (f32) {
      u1 = __dsub_rn(1.0, unit_from_u32(w.w[0]));
      u2 = unit_from_u32(w.w[1]);
    } else {
      u1 = __dsub_rn(1.0, unit_from_u64(w.w[0], w.w[1]));
      u2 = unit_from_u64(w.w[2], w.w[3]);
    }
    const double r = __dsqrt_rn(__dmul_rn(-2.0, log(u1)));
    const double theta = __dmul_rn(2.0 * M_PI, u2);
    double s, c;
    sincos(theta, &s, &c);
    const double br = __dmul_rn(b, r);
    p[2 * k] = static_cast<T>(__fma_rn(br, c, a));
    if (2 * k + 1 < n) p[2 * k + 1] = static_cast<T>(__fma_rn(br, s, a));
  }
}

template <class T>
void random_cuda(const Tensor& x, RandomKind kind, double a, double b, uint64_t seed,
                 uint64_t first_block) {
  const int64_t n = x.numel();
  if (n == 0) return;
  // One thread per Philox block: the same number of blocks the front-end reserved.
  const int64_t blocks = static_cast<int64_t>(random_blocks_needed(kind, x.dtype(), n));
  if (kind == RandomKind::Uniform) {
    uniform_kernel<T><<<cuda::blocks_for(blocks), cuda::kThreadsPerBlock, 0, cuda::stream()>>>(
        x.data<T>(), n, blocks, a, b, seed, first_block);
  } else {
    normal_kernel<T><<<cuda::blocks_for(blocks), cuda::kThreadsPerBlock, 0, cuda::stream()>>>(
        x.data<T>(), n, blocks, a, b, seed, first_block);
  }
  BCL_CUDA_CHECK_LAUNCH();
}

const KernelRegistrar reg_f32(random_kernels(), Device::CUDA, DType::Float32, &random_cuda<float>);
const KernelRegistrar reg_f64(random_kernels(), Device::CUDA, DType::Float64, &random_cuda<double>);

}  // namespace
}  // namespace bcl
