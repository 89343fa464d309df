// Kernel tables of the batched "autoaug-cutout" view (tensor/ops_augment_policy.cpp is the
// front-end; the CPU twins are in augment_policy_batch.cpp, the CUDA kernels in
// augment_policy_batch.cu).
//
// Operands as in augment_batch.h (packed uint8 images, Int64 indices [N], float32 out
// [N, 3, size, size]); params are Int64 [N, kAutoAugCutoutWords], one AutoAugCutoutParams per
// sample (augment_policy.h). A sample whose index lies outside [0, count) gets NaN in all of its
// output.
#pragma once

#include <cstdint>

#include "tensor/dispatch.h"
#include "tensor/kernels/augment_batch.h"
#include "tensor/kernels/augment_policy.h"
#include "tensor/tensor.h"

namespace bcl {

// params[i] = draw_autoaug_cutout(sample_stream(key, indices[i])) for images of height x width.
// Keyed by Int64.
using AutoAugCutoutParamsKernel = void (*)(const Tensor& indices, const Tensor& params,
                                           const augment::SampleKey& key,
                                           const augment::AutoAugCutoutConfig& cfg, int64_t height,
                                           int64_t width);
DispatchTable<AutoAugCutoutParamsKernel>& autoaug_cutout_params_kernels();

// out[i] = normalize(view of image indices[i] under params[i]); tables = policy_tables(cfg),
// computed on the host. cfg.size <= kMaxPolicyViewSize. Keyed by Float32 (the output's dtype).
using AutoAugCutoutKernel = void (*)(const Tensor& images, const PackedGeometry& geometry,
                                     const Tensor& indices, const Tensor& params,
                                     const augment::AutoAugCutoutConfig& cfg,
                                     const augment::PolicyTables& tables,
                                     const augment::ChannelNorm& norm, const Tensor& out);
DispatchTable<AutoAugCutoutKernel>& autoaug_cutout_kernels();

}  // namespace bcl
