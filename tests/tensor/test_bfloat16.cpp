// bfloat16 (tensor/bfloat16.h): rounding against a reference written from the definition, and
// bfloat16 tensors through the copy, fill and vector paths.
#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "tests/test_util.h"

using namespace bcl;

namespace {

float float_of_bits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

uint32_t bits_of_float(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

// Round to nearest, ties to even, by value: of the two bfloat16 neighbours of f (its upper 16 bits
// truncated, and the next pattern away from zero), the nearer one in exact (double) arithmetic;
// on a tie, the one with an even last bit. Past the largest finite bfloat16 the next pattern is
// infinity, which counts as 2^128 for the distance (IEEE's rule for overflow).
uint16_t round_reference(float f) {
  if (std::isnan(f)) return 0;  // handled by the caller
  const uint32_t u = bits_of_float(f);
  const uint16_t lo = static_cast<uint16_t>(u >> 16);
  const uint16_t hi = static_cast<uint16_t>(lo + 1);
  if ((u & 0xFFFFu) == 0) return lo;  // exactly representable (zeros and infinities included)
  const double x = std::fabs(static_cast<double>(f));
  const double a = std::fabs(static_cast<double>(float_of_bits(static_cast<uint32_t>(lo) << 16)));
  const bool hi_is_inf = (hi & 0x7FFFu) == 0x7F80u;
  const double b =
      hi_is_inf ? std::ldexp(1.0, 128)
                : std::fabs(static_cast<double>(float_of_bits(static_cast<uint32_t>(hi) << 16)));
  if (x - a < b - x) return lo;
  if (x - a > b - x) return hi;
  return (lo & 1u) == 0 ? lo : hi;
}

}  // namespace

TEST_CASE("bfloat16/every_value_converts_back_exactly") {
  for (uint32_t b = 0; b <= 0xFFFFu; ++b) {
    const bfloat16 h = bfloat16::from_bits(static_cast<uint16_t>(b));
    const float f = static_cast<float>(h);
    CHECK(bits_of_float(f) == b << 16);
    if (std::isnan(f)) continue;  // NaN payloads are quietened, tested below
    CHECK(bfloat16(f).bits == b);
  }
}

TEST_CASE("bfloat16/rounding_matches_the_reference") {
  // Every tie and both its neighbours, for every finite bfloat16 value: the hardest cases.
  int64_t checked = 0;
  for (uint32_t b = 0; b <= 0xFFFFu; ++b) {
    if ((b & 0x7F80u) == 0x7F80u) continue;  // infinities and NaNs
    const uint32_t tie = (b << 16) | 0x8000u;
    for (uint32_t u : {tie - 1, tie, tie + 1}) {
      const float f = float_of_bits(u);
      CAPTURE(u);
      CHECK(bfloat16(f).bits == round_reference(f));
      ++checked;
    }
  }
  CHECK(checked == 3 * (0x10000 - 2 * 0x80));
  // And a million random bit patterns.
  std::mt19937 rng(7);
  for (int i = 0; i < 1000000; ++i) {
    const uint32_t u = rng();
    const float f = float_of_bits(u);
    if (std::isnan(f)) continue;
    CAPTURE(u);
    REQUIRE(bfloat16(f).bits == round_reference(f));
  }
}

TEST_CASE("bfloat16/special_values") {
  const float inf = std::numeric_limits<float>::infinity();
  CHECK(bfloat16(0.0f).bits == 0x0000);
  CHECK(bfloat16(-0.0f).bits == 0x8000);
  CHECK(bfloat16(inf).bits == 0x7F80);
  CHECK(bfloat16(-inf).bits == 0xFF80);
  CHECK(bfloat16(1.0f).bits == 0x3F80);
  // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: the tie goes to the even 1. 1 + 3 * 2^-8 is
  // halfway between 1 + 2^-7 (odd) and 1 + 2^-6: it goes up.
  CHECK(bfloat16(1.0f + 0x1p-8f).bits == 0x3F80);
  CHECK(bfloat16(1.0f + 3 * 0x1p-8f).bits == 0x3F82);
  // The largest float rounds past the largest finite bfloat16 (0x7F7F) to infinity.
  CHECK(bfloat16(std::numeric_limits<float>::max()).bits == 0x7F80);
  // A NaN whose payload sits only in the low half stays a NaN (the carry would make it inf).
  const float low_nan = float_of_bits(0x7F800001u);
  REQUIRE(std::isnan(low_nan));
  CHECK(std::isnan(static_cast<float>(bfloat16(low_nan))));
  CHECK(std::isnan(static_cast<float>(bfloat16(-low_nan))));
  CHECK((bfloat16(-low_nan).bits & 0x8000u) != 0);  // sign kept
  // Subnormals: bfloat16's smallest is 2^-133 (2^-126 with 7 mantissa bits). A quarter of it
  // rounds to zero, half of it is a tie that goes to the even zero, three quarters round up.
  CHECK(static_cast<float>(bfloat16(0x1p-133f)) == 0x1p-133f);
  CHECK(static_cast<float>(bfloat16(0x1p-135f)) == 0.0f);
  CHECK(static_cast<float>(bfloat16(0x1p-134f)) == 0.0f);
  CHECK(static_cast<float>(bfloat16(0x1.8p-134f)) == 0x1p-133f);
  // Integers and doubles go through float.
  CHECK(static_cast<float>(bfloat16(int64_t{257})) == 256.0f);  // 257 needs 9 bits
  CHECK(static_cast<double>(bfloat16(3.0)) == 3.0);
  CHECK(static_cast<int64_t>(bfloat16(-7.0f)) == -7);
}

TEST_CASE("bfloat16/tensors_convert_fill_and_read") {
  const Tensor x = test::randn({4, 5}, 3, DType::Float32);
  const Tensor h = raw::to_dtype(x, DType::BFloat16);
  CHECK(h.dtype() == DType::BFloat16);
  CHECK(dtype_size(DType::BFloat16) == 2);
  const std::vector<double> vx = x.to_vector(), vh = h.to_vector();
  for (size_t i = 0; i < vx.size(); ++i) {
    CAPTURE(i);
    // The nearest bfloat16: within half a step, at most 2^-8 relative.
    CHECK(std::fabs(vh[i] - vx[i]) <= std::ldexp(std::fabs(vx[i]), -8));
    CHECK(vh[i] == static_cast<double>(bfloat16(static_cast<float>(vx[i]))));
  }
  // Back to float32 and float64 exactly; a strided (transposed) source too.
  CHECK(raw::to_dtype(h, DType::Float32).to_vector() == vh);
  CHECK(raw::to_dtype(h, DType::Float64).to_vector() == vh);
  const Tensor ht = raw::to_dtype(raw::transpose(x, 0, 1), DType::BFloat16);
  CHECK(ht.to_vector() == raw::contiguous(raw::transpose(h, 0, 1)).to_vector());
  // fill_ and from_vector round the same way.
  const Tensor filled = full({3}, 1.0 + 0x1p-8, DType::BFloat16);
  CHECK(filled.to_vector() == std::vector<double>{1, 1, 1});
  CHECK(
      from_vector({0.1, 1e10}, {2}, DType::BFloat16).to_vector() ==
      std::vector<double>{static_cast<float>(bfloat16(0.1f)), static_cast<float>(bfloat16(1e10f))});
  CHECK(std::string(dtype_name(DType::BFloat16)) == "bfloat16");
  CHECK(is_floating(DType::BFloat16));
}

TEST_CASE("bfloat16/ops_without_a_kernel_say_so") {
  const Tensor h = raw::to_dtype(test::randn({3}, 1, DType::Float32), DType::BFloat16);
  CHECK_THROWS_WITH_AS(raw::exp(h), doctest::Contains("bfloat16"), Error);
}
