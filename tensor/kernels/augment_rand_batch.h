// Kernel tables of the batched RandAugment views, "rand" (sim, then RandAugment) and "randaug"
// (crop, flip, then RandAugment). tensor/ops_augment_rand.cpp is the front-end; the CPU twins are
// in augment_rand_batch.cpp, the CUDA kernels in augment_rand_batch.cu.
//
// Operands as in augment_batch.h (packed uint8 images, Int64 indices [N], float32 out
// [N, 3, size, size]); params are Int64 [N, kRandViewWords] or [N, kRandAugWords], one
// RandViewParams or RandAugParams per sample (augment_rand.h). A sample whose index lies outside
// [0, count) gets NaN in all of its output.
#pragma once

#include <cstdint>

#include "tensor/dispatch.h"
#include "tensor/kernels/augment_batch.h"
#include "tensor/kernels/augment_rand.h"
#include "tensor/tensor.h"

namespace bcl {

// params[i] = draw_rand_view(sample_stream(key, indices[i])) for images of height x width;
// log_ratio_lo/hi are std::log of cfg.sim's ratio bounds, taken on the host. Keyed by Int64.
using RandViewParamsKernel = void (*)(const Tensor& indices, const Tensor& params,
                                      const augment::SampleKey& key,
                                      const augment::RandViewConfig& cfg, double log_ratio_lo,
                                      double log_ratio_hi, int64_t height, int64_t width);
DispatchTable<RandViewParamsKernel>& rand_view_params_kernels();

// params[i] = draw_randaug(sample_stream(key, indices[i])). Keyed by Int64.
using RandAugParamsKernel = void (*)(const Tensor& indices, const Tensor& params,
                                     const augment::SampleKey& key,
                                     const augment::RandAugConfig& cfg, int64_t height,
                                     int64_t width);
DispatchTable<RandAugParamsKernel>& randaug_params_kernels();

// out[i] = normalize(view of image indices[i] under params[i]). cfg's view size (at most
// kMaxPolicyViewSize) and fill are read. Keyed by Float32 (the output's dtype).
using RandViewKernel = void (*)(const Tensor& images, const PackedGeometry& geometry,
                                const Tensor& indices, const Tensor& params,
                                const augment::RandViewConfig& cfg,
                                const augment::ChannelNorm& norm, const Tensor& out);
DispatchTable<RandViewKernel>& rand_view_kernels();

using RandAugKernel = void (*)(const Tensor& images, const PackedGeometry& geometry,
                               const Tensor& indices, const Tensor& params,
                               const augment::RandAugConfig& cfg, const augment::ChannelNorm& norm,
                               const Tensor& out);
DispatchTable<RandAugKernel>& randaug_kernels();

}  // namespace bcl
