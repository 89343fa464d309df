// A direct 3x3 convolution for float32 on AVX2: the CPU conv kernels (conv2d.cpp) hand it the
// shapes where it beats im2col + GEMM. See conv2d_direct.cpp.
//
// It exists in builds for AVX2 with FMA (x86-64-v3 and up: see the Makefile), and
// then conv2d.cpp registers the convolutions that use it as their Isa::AVX2 variants; elsewhere
// the functions below are declared but not defined, and nothing calls them.
#pragma once

#include "tensor/kernels/conv2d.h"

#if defined(__AVX2__) && defined(__FMA__)
#define BCL_CONV2D_DIRECT 1
#endif

namespace bcl::conv2d_direct {

// Whether forward() computes this convolution, and does it faster than im2col + GEMM: a 3x3
// kernel, stride 1, padding 1, one group, Wo a multiple of 8 and an even O of at most 16. Measured
// in bcl-conv-bench at batch 128 on 2 cores: at 16 channels, 32x32, the forward takes 5.0-5.7 ms
// against 7.4-9.3 ms by GEMM (whose 16-row products are too short for OpenBLAS's blocking); at 32
// and 64 channels GEMM is as fast or faster.
bool applies(const Conv2dDims& d, const Conv2dParams& p);

// y [N, O, H, W] = conv(x [N, C, H, W], w [O, C, 3, 3]) + bias (none if null), in parallel over
// images. Requires applies(d, p).
void forward(const float* x, const float* w, const float* bias, float* y, const Conv2dDims& d);

// dw [O, C, 3, 3] = the weight gradient given dy [N, O, H, W] and x [N, C, H, W], in parallel over
// chunks of images. Requires applies(d, p).
void weight_gradient(const float* dy, const float* x, float* dw, const Conv2dDims& d);

}  // namespace bcl::conv2d_direct
