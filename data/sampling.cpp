#include "data/sampling.h"

#include <numeric>
#include <utility>

#include "tensor/error.h"

namespace bcl::data {

uint64_t derive_seed(uint64_t seed, uint64_t index, uint32_t stream, uint32_t view) {
  const auto w = philox4x32_10(
      {static_cast<uint32_t>(index), static_cast<uint32_t>(index >> 32), stream, view},
      {static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)});
  return (static_cast<uint64_t>(w[0]) << 32) | w[1];
}

uint64_t random_below(Generator& gen, uint64_t n) {
  BCL_CHECK(n >= 1, "random_below: empty range");
  // 2^64 mod n = (2^64 - n) mod n. Rejecting x below it leaves 2^64 - (2^64 mod n) values, a
  // multiple of n, so every residue is equally likely; fewer than half the draws are rejected.
  const uint64_t threshold = (0 - n) % n;
  for (;;) {
    const uint64_t x = (static_cast<uint64_t>(gen.next_u32()) << 32) | gen.next_u32();
    if (x >= threshold) return x % n;
  }
}

void shuffle(std::vector<int64_t>& v, Generator& gen) {
  for (size_t i = v.size(); i > 1; --i) {
    const size_t j = static_cast<size_t>(random_below(gen, i));
    std::swap(v[i - 1], v[j]);
  }
}

std::vector<int64_t> random_permutation(int64_t n, Generator& gen) {
  std::vector<int64_t> v(static_cast<size_t>(n));
  std::iota(v.begin(), v.end(), int64_t{0});
  shuffle(v, gen);
  return v;
}

}  // namespace bcl::data
