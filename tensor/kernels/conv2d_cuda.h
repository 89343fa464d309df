// A look into the CUDA convolution's algorithm cache (tensor/kernels/conv2d.cu), for tests and
// benchmarks. Declared in CUDA=1 builds only.
#pragma once

#ifdef BCL_CUDA

#include <cstddef>
#include <cstdint>

#include "tensor/kernels/conv2d.h"

namespace bcl::cuda {

// The three products of a convolution, each with its own cuDNN algorithm.
enum class ConvPass { Forward, BackwardData, BackwardFilter };

// What conv_cached_algo returns besides a cuDNN algorithm number (a cudnnConvolution*Algo_t).
constexpr int kConvNotCached = -1;
// cuDNN offered no usable algorithm, so the pass runs bcl's direct CUDA kernel.
constexpr int kConvDirect = -2;

// Configurations (pass, dtype and geometry) planned so far.
size_t conv_algo_cache_size();

// The algorithm chosen for one pass of a convolution of an x_shape input with a w_shape weight.
int conv_cached_algo(ConvPass pass, DType dtype, const Shape& x_shape, const Shape& w_shape,
                     const Conv2dParams& p);

// Calls that ran the direct kernel instead of cuDNN, since the start of the process.
int64_t conv_direct_calls();

// While on, every pass runs the direct kernel, bypassing (and not filling) the cache: lets tests
// check the kernel cuDNN falls back to.
void conv_force_direct(bool on);

}  // namespace bcl::cuda

#endif  // BCL_CUDA
