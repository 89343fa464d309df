// Kernel tables of the batched augmentations (tensor/ops_augment.cpp is the front-end; the CPU
// twins are in augment_batch.cpp, the CUDA kernels in augment_batch.cu).
//
// Operands, all contiguous and on one device:
//   images   Int64 tensor whose bytes are `count` uint8 HWC images of height x width x 3, back to
//            back (bcl has no uint8 dtype; see raw::PackedImages)
//   indices  Int64 [N]: the dataset index of each sample (its image and its draw)
//   params   Int64 [N, words]: one CropFlipParams or SimParams per sample (augment_params.h)
//   out      Float32 [N, 3, size, size]
// A sample whose index lies outside [0, count) gets NaN in all of its output (the front-end throws
// before that when the indices are on the host; on the GPU a check would wait for the stream).
#pragma once

#include <cstdint>

#include "tensor/dispatch.h"
#include "tensor/kernels/augment_params.h"
#include "tensor/tensor.h"

namespace bcl {

// params[i] = draw(sample_stream(key, indices[i])) for images of height x width. Keyed by Int64.
using CropFlipParamsKernel = void (*)(const Tensor& indices, const Tensor& params,
                                      const augment::SampleKey& key,
                                      const augment::CropFlipConfig& cfg, int64_t height,
                                      int64_t width);
DispatchTable<CropFlipParamsKernel>& crop_flip_params_kernels();

// log_ratio_lo/hi: std::log of cfg's ratio bounds (taken on the host, so both devices use one
// value).
using SimParamsKernel = void (*)(const Tensor& indices, const Tensor& params,
                                 const augment::SampleKey& key, const augment::SimConfig& cfg,
                                 double log_ratio_lo, double log_ratio_hi, int64_t height,
                                 int64_t width);
DispatchTable<SimParamsKernel>& sim_params_kernels();

// The image geometry the pixel kernels read.
struct PackedGeometry {
  int64_t count = 0, height = 0, width = 0;
};

// out[i] = normalize(view of image indices[i] under params[i]); out's last dim is the view's
// size. Keyed by Float32 (the output's dtype).
using CropFlipKernel = void (*)(const Tensor& images, const PackedGeometry& geometry,
                                const Tensor& indices, const Tensor& params,
                                const augment::ChannelNorm& norm, const Tensor& out);
DispatchTable<CropFlipKernel>& crop_flip_kernels();

using SimKernel = void (*)(const Tensor& images, const PackedGeometry& geometry,
                           const Tensor& indices, const Tensor& params,
                           const augment::ChannelNorm& norm, const Tensor& out);
DispatchTable<SimKernel>& sim_kernels();

}  // namespace bcl
