// Front-ends of the batched augmentation ops: argument checks, outputs, and the kernel tables.
// This file: packing, and the crop-flip and sim views (tensor/kernels/augment_batch.h); the
// autoaug-cutout view is in ops_augment_policy.cpp, the RandAugment views in ops_augment_rand.cpp.
#include <cmath>
#include <cstring>

#include "tensor/kernels/augment_batch.h"
#include "tensor/ops.h"
#include "tensor/ops_augment_common.h"

namespace bcl {

DispatchTable<CropFlipParamsKernel>& crop_flip_params_kernels() {
  static DispatchTable<CropFlipParamsKernel> table("crop_flip_params");
  return table;
}
DispatchTable<SimParamsKernel>& sim_params_kernels() {
  static DispatchTable<SimParamsKernel> table("sim_params");
  return table;
}
DispatchTable<CropFlipKernel>& crop_flip_kernels() {
  static DispatchTable<CropFlipKernel> table("augment_crop_flip");
  return table;
}
DispatchTable<SimKernel>& sim_kernels() {
  static DispatchTable<SimKernel> table("augment_sim");
  return table;
}
using namespace augment_frontend;

namespace raw {

PackedImages pack_images(const uint8_t* pixels, int64_t count, int64_t height, int64_t width,
                         Device device) {
  BCL_CHECK(count >= 0 && height > 0 && width > 0 && (count == 0 || pixels != nullptr),
            "pack_images: bad batch of ", count, " images ", height, "x", width);
  PackedImages p;
  p.count = count;
  p.height = height;
  p.width = width;
  Tensor host = zeros({packed_words(count, height, width)}, DType::Int64);
  if (count > 0)
    std::memcpy(host.raw_data(), pixels, static_cast<size_t>(count * height * width * 3));
  p.bytes = to_device(host, device);
  return p;
}

std::vector<uint8_t> unpack_images(const PackedImages& images) {
  BCL_CHECK(images.bytes.defined() &&
                images.bytes.numel() == packed_words(images.count, images.height, images.width),
            "unpack_images: not a packed batch");
  const Tensor host = contiguous(to_device(images.bytes, Device::CPU));
  std::vector<uint8_t> out(static_cast<size_t>(images.count * images.height * images.width * 3));
  if (!out.empty()) std::memcpy(out.data(), host.raw_data(), out.size());
  return out;
}

Tensor crop_flip_params(const Tensor& indices, const augment::SampleKey& key,
                        const augment::CropFlipConfig& cfg, int64_t height, int64_t width) {
  const char* op = "crop_flip_params";
  const Tensor idx = checked_indices(indices, op);
  check_padded_crop_config(cfg, op);
  check_crop_fits(height, width, cfg.padding, cfg.size, op);
  Tensor params = empty({idx.numel(), augment::kCropFlipWords}, DType::Int64, idx.device());
  crop_flip_params_kernels().get(idx.device(), DType::Int64)(idx, params, key, cfg, height, width);
  return params;
}

Tensor sim_params(const Tensor& indices, const augment::SampleKey& key,
                  const augment::SimConfig& cfg, int64_t height, int64_t width) {
  const char* op = "sim_params";
  const Tensor idx = checked_indices(indices, op);
  check_sim_config(cfg, op);
  BCL_CHECK(height > 0 && width > 0, op, ": empty image ", height, "x", width);
  Tensor params = empty({idx.numel(), augment::kSimWords}, DType::Int64, idx.device());
  sim_params_kernels().get(idx.device(), DType::Int64)(
      idx, params, key, cfg, std::log(cfg.ratio_lo), std::log(cfg.ratio_hi), height, width);
  return params;
}

std::vector<augment::CropFlipParams> crop_flip_params_to_host(const Tensor& params) {
  return params_to_host<augment::CropFlipParams>(params, augment::kCropFlipWords,
                                                 "crop_flip_params_to_host");
}
std::vector<augment::SimParams> sim_params_to_host(const Tensor& params) {
  return params_to_host<augment::SimParams>(params, augment::kSimWords, "sim_params_to_host");
}
Tensor crop_flip_params_from_host(const std::vector<augment::CropFlipParams>& params,
                                  Device device) {
  return params_from_host(params, augment::kCropFlipWords, device);
}
Tensor sim_params_from_host(const std::vector<augment::SimParams>& params, Device device) {
  return params_from_host(params, augment::kSimWords, device);
}

Tensor augment_crop_flip(const PackedImages& images, const Tensor& indices, const Tensor& params,
                         const augment::CropFlipConfig& cfg, const augment::ChannelNorm& norm) {
  const char* op = "augment_crop_flip";
  check_padded_crop_config(cfg, op);
  return run_pixel_op<augment::CropFlipParams>(
      images, indices, params, augment::kCropFlipWords, cfg.size, op,
      [](const augment::CropFlipParams&, int64_t) {},
      [&](const PixelOperands& o, Tensor& out) {
        crop_flip_kernels().get(out.device(), DType::Float32)(images.bytes, o.geometry, o.indices,
                                                              o.params, norm, out);
      });
}

Tensor augment_sim(const PackedImages& images, const Tensor& indices, const Tensor& params,
                   const augment::SimConfig& cfg, const augment::ChannelNorm& norm) {
  const char* op = "augment_sim";
  BCL_CHECK(cfg.size > 0, op, ": bad size ", cfg.size);
  return run_pixel_op<augment::SimParams>(
      images, indices, params, augment::kSimWords, cfg.size, op,
      [&](const augment::SimParams& p, int64_t i) { check_sim_box(p, images, i, op); },
      [&](const PixelOperands& o, Tensor& out) {
        sim_kernels().get(out.device(), DType::Float32)(images.bytes, o.geometry, o.indices,
                                                        o.params, norm, out);
      });
}

}  // namespace raw
}  // namespace bcl
