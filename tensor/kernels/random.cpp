// CPU random fills: every element's value is a pure function of (seed, block, word), so the loop
// parallelises freely and matches the CUDA kernel.
#include "tensor/kernels/random.h"

#include <cmath>

#include "tensor/random.h"

namespace bcl {
namespace {

std::array<uint32_t, 4> block_words(uint64_t seed, uint64_t block) {
  return philox4x32_10({static_cast<uint32_t>(block), static_cast<uint32_t>(block >> 32), 0, 0},
                       {static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)});
}

inline uint64_t join(uint32_t hi, uint32_t lo) {
  return (static_cast<uint64_t>(hi) << 32) | lo;
}

template <class T>
void random_cpu(const Tensor& x, RandomKind kind, double a, double b, uint64_t seed,
                uint64_t first_block) {
  T* p = x.data<T>();
  const int64_t n = x.numel();
  constexpr bool f32 = sizeof(T) == 4;
  if (kind == RandomKind::Uniform) {
    constexpr int64_t per_block = f32 ? 4 : 2;
    const int64_t blocks = (n + per_block - 1) / per_block;
#pragma omp parallel for if (n > 65536)
    for (int64_t blk = 0; blk < blocks; ++blk) {
      const auto w = block_words(seed, first_block + blk);
      for (int64_t j = 0; j < per_block && blk * per_block + j < n; ++j) {
        const double u =
            f32 ? uint32_to_unit_float(w[j]) : uint64_to_unit_double(join(w[2 * j], w[2 * j + 1]));
        p[blk * per_block + j] = static_cast<T>(a + (b - a) * u);
      }
    }
  } else {
    // Box-Muller: a pair (u1, u2) of uniforms gives two independent N(0, 1) values
    // r cos(2 pi u2) and r sin(2 pi u2) with r = sqrt(-2 ln u1); u1 is taken in (0, 1].
    const int64_t pairs = (n + 1) / 2;
#pragma omp parallel for if (n > 65536)
    for (int64_t k = 0; k < pairs; ++k) {
      const auto w = block_words(seed, first_block + k);
      double u1, u2;
      if (f32) {
        u1 = 1.0 - uint32_to_unit_float(w[0]);
        u2 = uint32_to_unit_float(w[1]);
      } else {
        u1 = 1.0 - uint64_to_unit_double(join(w[0], w[1]));
        u2 = uint64_to_unit_double(join(w[2], w[3]));
      }
      const double r = std::sqrt(-2.0 * std::log(u1)), theta = 2.0 * M_PI * u2;
      p[2 * k] = static_cast<T>(a + b * r * std::cos(theta));
      if (2 * k + 1 < n) p[2 * k + 1] = static_cast<T>(a + b * r * std::sin(theta));
    }
  }
}

const KernelRegistrar reg_f32(random_kernels(), Device::CPU, DType::Float32, &random_cpu<float>);
const KernelRegistrar reg_f64(random_kernels(), Device::CPU, DType::Float64, &random_cpu<double>);

}  // namespace
}  // namespace bcl
