// Kernel table for random fills (tensor/random.cpp is the front-end).
#pragma once

#include <cstdint>

#include "tensor/dispatch.h"
#include "tensor/tensor.h"

namespace bcl {

enum class RandomKind { Uniform, Normal };

// Fills contiguous x. Uniform: a + (b - a) * u. Normal: a + b * z. Element i draws from Philox
// block `first_block` + i / per_block (see tensor/random.h), so any device gives the same numbers.
using RandomKernel = void (*)(const Tensor& x, RandomKind kind, double a, double b, uint64_t seed,
                              uint64_t first_block);
DispatchTable<RandomKernel>& random_kernels();

// 128-bit blocks a fill of n elements of dtype consumes.
uint64_t random_blocks_needed(RandomKind kind, DType dtype, int64_t n);

}  // namespace bcl
