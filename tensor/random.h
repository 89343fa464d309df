// Counter-based random numbers: Philox 4x32-10 (Salmon et al., SC 2011, "Parallel random numbers:
// as easy as 1, 2, 3").
//
// Philox maps (key, counter) to 4 random 32-bit words with no state in between. A Generator holds a
// seed (the key) and an offset (how many 128-bit blocks it has handed out). Element i of a fill
// uses block offset + i/4 (word i%4), so the numbers depend only on the seed and the element's
// index: the same on 1 or 16 threads, and the same on the GPU, which evaluates the same function.
#pragma once

#include <array>
#include <cstdint>

#include "tensor/tensor.h"

namespace bcl {

// One Philox 4x32-10 evaluation: 10 rounds of the Philox S-box on `counter` under `key`.
std::array<uint32_t, 4> philox4x32_10(std::array<uint32_t, 4> counter, std::array<uint32_t, 2> key);

// Uniform in [0, 1) from 24 (float) or 53 (double) random bits.
inline float uint32_to_unit_float(uint32_t x) {
  return static_cast<float>(x >> 8) * 0x1.0p-24f;
}
inline double uint64_to_unit_double(uint64_t x) {
  return static_cast<double>(x >> 11) * 0x1.0p-53;
}

class Generator {
 public:
  explicit Generator(uint64_t seed = 0) : seed_(seed) {}
  uint64_t seed() const { return seed_; }
  uint64_t offset() const { return offset_; }
  void set_state(uint64_t seed, uint64_t offset) {
    seed_ = seed;
    offset_ = offset;
  }
  // Reserves `blocks` 128-bit blocks and returns the first one's index.
  uint64_t advance(uint64_t blocks) {
    uint64_t first = offset_;
    offset_ += blocks;
    return first;
  }

  // Single draws, for host-side decisions such as shuffles and augmentation parameters.
  uint32_t next_u32();
  double next_uniform();  // [0, 1)

 private:
  uint64_t seed_;
  uint64_t offset_ = 0;
  std::array<uint32_t, 4> buffer_{};
  int buffered_ = 0;
};

namespace raw {
// In-place fills of a contiguous floating tensor.
void uniform_(Tensor& t, double low, double high, Generator& gen);
// Box-Muller on pairs of uniforms.
void normal_(Tensor& t, double mean, double stddev, Generator& gen);
// He et al. 2015: N(0, 2/fan) with fan = fan_in (default, as torch.nn.init.kaiming_normal_) or
// fan_out (torchvision ResNets). For a conv weight [O, I/groups, kh, kw] fan_in = I/groups*kh*kw
// and fan_out = O*kh*kw; for a linear weight [out, in] fan_in = in.
enum class FanMode { FanIn, FanOut };
void kaiming_normal_(Tensor& t, Generator& gen, FanMode mode = FanMode::FanIn);
}  // namespace raw

}  // namespace bcl
