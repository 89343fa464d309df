#include "tensor/random.h"

#include <cmath>

#include "tensor/kernels/random.h"
#include "tensor/ops.h"

namespace bcl {

std::array<uint32_t, 4> philox4x32_10(std::array<uint32_t, 4> c, std::array<uint32_t, 2> k) {
  // Constants from Random123: the multipliers and the Weyl key increments (golden ratio, sqrt 3).
  constexpr uint64_t kM0 = 0xD2511F53, kM1 = 0xCD9E8D57;
  constexpr uint32_t kW0 = 0x9E3779B9, kW1 = 0xBB67AE85;
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      k[0] += kW0;
      k[1] += kW1;
    }
    const uint64_t p0 = kM0 * c[0], p1 = kM1 * c[2];
    c = {static_cast<uint32_t>(p1 >> 32) ^ c[1] ^ k[0], static_cast<uint32_t>(p1),
         static_cast<uint32_t>(p0 >> 32) ^ c[3] ^ k[1], static_cast<uint32_t>(p0)};
  }
  return c;
}

uint32_t Generator::next_u32() {
  if (buffered_ == 0) {
    const uint64_t block = advance(1);
    buffer_ =
        philox4x32_10({static_cast<uint32_t>(block), static_cast<uint32_t>(block >> 32), 0, 0},
                      {static_cast<uint32_t>(seed_), static_cast<uint32_t>(seed_ >> 32)});
    buffered_ = 4;
  }
  return buffer_[4 - buffered_--];
}

double Generator::next_uniform() {
  const uint64_t hi = next_u32(), lo = next_u32();
  return uint64_to_unit_double((hi << 32) | lo);
}

DispatchTable<RandomKernel>& random_kernels() {
  static DispatchTable<RandomKernel> table("random");
  return table;
}

// Uniform float32 takes one 32-bit word per element, float64 two; a normal pair takes one block.
uint64_t random_blocks_needed(RandomKind kind, DType dtype, int64_t n) {
  const uint64_t un = static_cast<uint64_t>(n);
  if (kind == RandomKind::Normal) return (un + 1) / 2;
  return dtype == DType::Float32 ? (un + 3) / 4 : (un + 1) / 2;
}

namespace {

void random_fill(const Tensor& t, RandomKind kind, double a, double b, Generator& gen,
                 const char* op) {
  BCL_CHECK(is_floating(t.dtype()), op, ": needs a floating tensor, got ", dtype_name(t.dtype()));
  const uint64_t first = gen.advance(random_blocks_needed(kind, t.dtype(), t.numel()));
  if (t.is_contiguous()) {
    random_kernels().get(t.device(), t.dtype())(t, kind, a, b, gen.seed(), first);
  } else {
    Tensor tmp = empty(t.shape(), t.dtype(), t.device());
    random_kernels().get(t.device(), t.dtype())(tmp, kind, a, b, gen.seed(), first);
    raw::copy_(t, tmp);
  }
}

}  // namespace

namespace raw {

void uniform_(Tensor& t, double low, double high, Generator& gen) {
  BCL_CHECK(low <= high, "uniform_: low ", low, " is above high ", high);
  random_fill(t, RandomKind::Uniform, low, high, gen, "uniform_");
}

void normal_(Tensor& t, double mean, double stddev, Generator& gen) {
  BCL_CHECK(stddev >= 0, "normal_: negative stddev ", stddev);
  random_fill(t, RandomKind::Normal, mean, stddev, gen, "normal_");
}

void kaiming_normal_(Tensor& t, Generator& gen, FanMode mode) {
  BCL_CHECK(t.dim() >= 2, "kaiming_normal_: needs a weight with at least 2 dims, got shape ",
            shape_str(t.shape()));
  int64_t receptive = 1;
  for (int64_t d = 2; d < t.dim(); ++d) receptive *= t.shape()[d];
  const int64_t fan = (mode == FanMode::FanIn ? t.shape()[1] : t.shape()[0]) * receptive;
  // Gain sqrt(2) for ReLU: std = sqrt(2 / fan).
  normal_(t, 0.0, std::sqrt(2.0 / static_cast<double>(fan)), gen);
}

}  // namespace raw
}  // namespace bcl
