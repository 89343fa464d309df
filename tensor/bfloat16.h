// bfloat16: the upper 16 bits of an IEEE float32 (1 sign, 8 exponent and 7 mantissa bits).
// float32's range with 8 significant bits: neighbouring values are 2^-8 to 2^-7 apart (relative),
// so rounding moves a value by at most 2^-8 = 0.39% of it.
//
// float -> bfloat16 rounds to nearest, ties to even, on the bit pattern u of the float:
//   bits = (u + 0x7FFF + ((u >> 16) & 1)) >> 16.
// The dropped low half rounds up past 0x8000, and at exactly 0x8000 when the kept half is odd.
// A carry out of the mantissa moves into the exponent, which is the right answer: the next
// power of two, or infinity past the largest finite bfloat16. NaNs are kept apart (the addition
// could carry a NaN's payload into infinity) and become quiet NaNs of the same sign.
// bfloat16 -> float is exact: the 16 bits shifted back up.
//
// Doubles and integers convert through float, so a double within 2^-24 (relative) of a tie can
// round twice; bfloat16 tensors only ever meet float32 ones in this framework.
//
// The same code runs on the host and in CUDA kernels, so the CPU and the GPU round alike. The
// layout is that of CUDA's __nv_bfloat16 and cuDNN's CUDNN_DATA_BFLOAT16, which read the memory
// of a bfloat16 tensor directly.
#pragma once

#include <cstdint>
#include <cstring>

#include "tensor/host_device.h"

namespace bcl {

// Trivial (no member initialiser), like float: tensors of it are raw storage.
struct bfloat16 {
  uint16_t bits;

  // cppcheck-suppress uninitMemberVar ; uninitialised like a float, deliberately
  bfloat16() = default;
  BCL_HOST_DEVICE explicit bfloat16(float f) : bits(round_from_float(f)) {}
  BCL_HOST_DEVICE explicit bfloat16(double d) : bfloat16(static_cast<float>(d)) {}
  BCL_HOST_DEVICE explicit bfloat16(int64_t i) : bfloat16(static_cast<float>(i)) {}

  BCL_HOST_DEVICE explicit operator float() const {
    const uint32_t u = static_cast<uint32_t>(bits) << 16;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
  }
  BCL_HOST_DEVICE explicit operator double() const { return static_cast<float>(*this); }
  BCL_HOST_DEVICE explicit operator int64_t() const {
    return static_cast<int64_t>(static_cast<float>(*this));
  }

  static bfloat16 from_bits(uint16_t b) {
    bfloat16 h;
    h.bits = b;
    return h;
  }

 private:
  BCL_HOST_DEVICE static uint16_t round_from_float(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    if ((u & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<uint16_t>((u >> 16) | 0x0040u);
    return static_cast<uint16_t>((u + 0x7FFFu + ((u >> 16) & 1u)) >> 16);
  }
};

static_assert(sizeof(bfloat16) == 2,
              "bfloat16 must be two bytes, as cuDNN and safetensors read it");

}  // namespace bcl
