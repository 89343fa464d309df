// Element types and devices: the two keys of every dispatch table.
#pragma once

#include <cstddef>
#include <cstdint>

#include "tensor/bfloat16.h"

namespace bcl {

// Float64 exists for gradient checks; Int64 holds labels and indices; BFloat16 holds the operands
// of mixed-precision convolutions (tensor/bfloat16.h).
enum class DType : uint8_t { Float32, Float64, Int64, BFloat16 };
enum class Device : uint8_t { CPU, CUDA };

constexpr int kNumDTypes = 4;
constexpr int kNumDevices = 2;

size_t dtype_size(DType t);
const char* dtype_name(DType t);
const char* device_name(Device d);
inline bool is_floating(DType t) {
  return t == DType::Float32 || t == DType::Float64 || t == DType::BFloat16;
}

template <class T>
struct dtype_of;
template <>
struct dtype_of<float> {
  static constexpr DType value = DType::Float32;
};
template <>
struct dtype_of<double> {
  static constexpr DType value = DType::Float64;
};
template <>
struct dtype_of<int64_t> {
  static constexpr DType value = DType::Int64;
};
template <>
struct dtype_of<bfloat16> {
  static constexpr DType value = DType::BFloat16;
};

}  // namespace bcl
