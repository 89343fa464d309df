// Front-ends of the batched augmentation ops: argument checks, outputs, and the kernel tables of
// tensor/kernels/augment_batch.h.
#include <cmath>
#include <cstring>

#include "tensor/kernels/augment_batch.h"
#include "tensor/kernels/augment_policy_batch.h"
#include "tensor/kernels/augment_rand_batch.h"
#include "tensor/ops.h"

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

namespace {

int64_t packed_words(int64_t count, int64_t height, int64_t width) {
  return (count * height * width * 3 + 7) / 8;
}

bool is_probability(double p) {
  return p >= 0 && p <= 1;
}

Tensor checked_indices(const Tensor& indices, const char* op) {
  BCL_CHECK(indices.defined() && indices.dtype() == DType::Int64 && indices.dim() == 1, op,
            ": indices must be a 1-dim Int64 tensor, got ",
            indices.defined()
                ? detail::cat(dtype_name(indices.dtype()), " of shape ", shape_str(indices.shape()))
                : std::string("an undefined tensor"));
  return raw::contiguous(indices);
}

void check_crop_flip_config(const augment::CropFlipConfig& cfg, const char* op) {
  BCL_CHECK(cfg.size > 0 && cfg.padding >= 0 && cfg.cutout >= 0 && is_probability(cfg.flip_p), op,
            ": bad configuration: size ", cfg.size, ", padding ", cfg.padding, ", flip_p ",
            cfg.flip_p, ", cutout ", cfg.cutout);
}

void check_sim_config(const augment::SimConfig& cfg, const char* op) {
  BCL_CHECK(cfg.size > 0 && cfg.scale_lo > 0 && cfg.scale_lo <= cfg.scale_hi && cfg.ratio_lo > 0 &&
                cfg.ratio_lo <= cfg.ratio_hi,
            op, ": bad size ", cfg.size, ", scale (", cfg.scale_lo, ", ", cfg.scale_hi,
            ") or ratio (", cfg.ratio_lo, ", ", cfg.ratio_hi, ")");
  BCL_CHECK(
      is_probability(cfg.flip_p) && is_probability(cfg.jitter_p) && is_probability(cfg.gray_p), op,
      ": probabilities flip_p ", cfg.flip_p, ", jitter_p ", cfg.jitter_p, ", gray_p ", cfg.gray_p,
      " must lie in [0, 1]");
  BCL_CHECK(cfg.brightness >= 0 && cfg.contrast >= 0 && cfg.saturation >= 0 && cfg.hue >= 0 &&
                cfg.hue <= 0.5,
            op, ": bad colour jitter (", cfg.brightness, ", ", cfg.contrast, ", ", cfg.saturation,
            ", ", cfg.hue, "): need non-negative values and hue <= 0.5");
}

// The operands of a pixel op, checked: contiguous indices and params on the images' device.
struct PixelOperands {
  Tensor indices, params;
  PackedGeometry geometry;
};

PixelOperands check_pixel_operands(const raw::PackedImages& images, const Tensor& indices,
                                   const Tensor& params, int64_t words, const char* op) {
  BCL_CHECK(images.bytes.defined() && images.bytes.dtype() == DType::Int64 &&
                images.bytes.is_contiguous() && images.count >= 0 && images.height > 0 &&
                images.width > 0 &&
                images.bytes.numel() == packed_words(images.count, images.height, images.width),
            op, ": images are not a packed batch (raw::pack_images) of ", images.count, " images ",
            images.height, "x", images.width);
  PixelOperands o;
  o.indices = checked_indices(indices, op);
  const Device device = images.bytes.device();
  BCL_CHECK(o.indices.device() == device, op, ": indices are on ", device_name(o.indices.device()),
            ", the images on ", device_name(device));
  BCL_CHECK(params.defined() && params.dtype() == DType::Int64 &&
                params.shape() == Shape({o.indices.numel(), words}) && params.device() == device,
            op, ": params must be Int64 [", o.indices.numel(), ", ", words, "] on ",
            device_name(device), " (from the matching *_params op), got ",
            params.defined()
                ? detail::cat(dtype_name(params.dtype()), " ", shape_str(params.shape()), " on ",
                              device_name(params.device()))
                : std::string("an undefined tensor"));
  o.params = raw::contiguous(params);
  if (device == Device::CPU) {
    const int64_t* idx = o.indices.data<int64_t>();
    for (int64_t i = 0; i < o.indices.numel(); ++i) {
      BCL_CHECK(idx[i] >= 0 && idx[i] < images.count, op, ": indices[", i, "] = ", idx[i],
                " is out of range [0, ", images.count, ")");
    }
  }
  o.geometry = {images.count, images.height, images.width};
  return o;
}

template <class P>
std::vector<P> params_to_host(const Tensor& params, int64_t words, const char* op) {
  BCL_CHECK(params.defined() && params.dtype() == DType::Int64 && params.dim() == 2 &&
                params.size(1) == words,
            op, ": params must be Int64 [N, ", words, "]");
  const Tensor host = raw::contiguous(raw::to_device(params, Device::CPU));
  std::vector<P> out(static_cast<size_t>(host.size(0)));
  if (!out.empty()) std::memcpy(out.data(), host.raw_data(), out.size() * sizeof(P));
  return out;
}

template <class P>
Tensor params_from_host(const std::vector<P>& params, int64_t words, Device device) {
  Tensor host = empty({static_cast<int64_t>(params.size()), words}, DType::Int64);
  if (!params.empty()) std::memcpy(host.raw_data(), params.data(), params.size() * sizeof(P));
  return raw::to_device(host, device);
}

}  // namespace

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
  check_crop_flip_config(cfg, op);
  BCL_CHECK(height > 0 && width > 0 && height + 2 * cfg.padding >= cfg.size &&
                width + 2 * cfg.padding >= cfg.size,
            op, ": image ", height, "x", width, " with padding ", cfg.padding,
            " is smaller than the crop ", cfg.size);
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
  check_crop_flip_config(cfg, op);
  const PixelOperands o =
      check_pixel_operands(images, indices, params, augment::kCropFlipWords, op);
  const Device device = images.bytes.device();
  Tensor out = empty({o.indices.numel(), 3, cfg.size, cfg.size}, DType::Float32, device);
  crop_flip_kernels().get(device, DType::Float32)(images.bytes, o.geometry, o.indices, o.params,
                                                  norm, out);
  return out;
}

Tensor augment_sim(const PackedImages& images, const Tensor& indices, const Tensor& params,
                   const augment::SimConfig& cfg, const augment::ChannelNorm& norm) {
  const char* op = "augment_sim";
  BCL_CHECK(cfg.size > 0, op, ": bad size ", cfg.size);
  const PixelOperands o = check_pixel_operands(images, indices, params, augment::kSimWords, op);
  const Device device = images.bytes.device();
  if (device == Device::CPU) {
    const auto* p = reinterpret_cast<const augment::SimParams*>(o.params.data<int64_t>());
    for (int64_t i = 0; i < o.indices.numel(); ++i) {
      BCL_CHECK(
          p[i].height > 0 && p[i].width > 0 && p[i].top >= 0 && p[i].left >= 0 &&
              p[i].top + p[i].height <= images.height && p[i].left + p[i].width <= images.width,
          op, ": params[", i, "]'s box (top ", p[i].top, ", left ", p[i].left, ", ", p[i].height,
          "x", p[i].width, ") is not inside the ", images.height, "x", images.width, " images");
    }
  }
  Tensor out = empty({o.indices.numel(), 3, cfg.size, cfg.size}, DType::Float32, device);
  sim_kernels().get(device, DType::Float32)(images.bytes, o.geometry, o.indices, o.params, norm,
                                            out);
  return out;
}

}  // namespace raw
}  // namespace bcl

// ---- The "autoaug-cutout" view (tensor/kernels/augment_policy_batch.h) ------------------------

namespace bcl {

DispatchTable<AutoAugCutoutParamsKernel>& autoaug_cutout_params_kernels() {
  static DispatchTable<AutoAugCutoutParamsKernel> table("autoaug_cutout_params");
  return table;
}
DispatchTable<AutoAugCutoutKernel>& autoaug_cutout_kernels() {
  static DispatchTable<AutoAugCutoutKernel> table("augment_autoaug_cutout");
  return table;
}

namespace {

void check_autoaug_cutout_config(const augment::AutoAugCutoutConfig& cfg, const char* op) {
  BCL_CHECK(cfg.size > 0 && cfg.padding >= 0 && cfg.cutout >= 0 && is_probability(cfg.flip_p), op,
            ": bad configuration: size ", cfg.size, ", padding ", cfg.padding, ", flip_p ",
            cfg.flip_p, ", cutout ", cfg.cutout);
}

}  // namespace

namespace raw {

Tensor autoaug_cutout_params(const Tensor& indices, const augment::SampleKey& key,
                             const augment::AutoAugCutoutConfig& cfg, int64_t height,
                             int64_t width) {
  const char* op = "autoaug_cutout_params";
  const Tensor idx = checked_indices(indices, op);
  check_autoaug_cutout_config(cfg, op);
  BCL_CHECK(height > 0 && width > 0 && height + 2 * cfg.padding >= cfg.size &&
                width + 2 * cfg.padding >= cfg.size,
            op, ": image ", height, "x", width, " with padding ", cfg.padding,
            " is smaller than the crop ", cfg.size);
  Tensor params = empty({idx.numel(), augment::kAutoAugCutoutWords}, DType::Int64, idx.device());
  autoaug_cutout_params_kernels().get(idx.device(), DType::Int64)(idx, params, key, cfg, height,
                                                                  width);
  return params;
}

std::vector<augment::AutoAugCutoutParams> autoaug_cutout_params_to_host(const Tensor& params) {
  return params_to_host<augment::AutoAugCutoutParams>(params, augment::kAutoAugCutoutWords,
                                                      "autoaug_cutout_params_to_host");
}
Tensor autoaug_cutout_params_from_host(const std::vector<augment::AutoAugCutoutParams>& params,
                                       Device device) {
  return params_from_host(params, augment::kAutoAugCutoutWords, device);
}

Tensor augment_autoaug_cutout(const PackedImages& images, const Tensor& indices,
                              const Tensor& params, const augment::AutoAugCutoutConfig& cfg,
                              const augment::ChannelNorm& norm) {
  const char* op = "augment_autoaug_cutout";
  BCL_CHECK(cfg.size > 0 && cfg.size <= augment::kMaxPolicyViewSize, op, ": bad size ", cfg.size,
            ": sides up to ", augment::kMaxPolicyViewSize,
            " (the CUDA kernel holds two copies of a view in shared memory)");
  const PixelOperands o =
      check_pixel_operands(images, indices, params, augment::kAutoAugCutoutWords, op);
  const Device device = images.bytes.device();
  if (device == Device::CPU) {
    const auto* p = reinterpret_cast<const augment::AutoAugCutoutParams*>(o.params.data<int64_t>());
    for (int64_t i = 0; i < o.indices.numel(); ++i) {
      for (int k = 0; k < 2; ++k) {
        BCL_CHECK(p[i].op[k] >= 0 && p[i].op[k] < augment::kNumPolicyOps &&
                      p[i].magnitude[k] >= 0 && p[i].magnitude[k] <= 9,
                  op, ": params[", i, "] step ", k, " has op ", p[i].op[k], " and magnitude ",
                  p[i].magnitude[k], " (expected an op in [0, ", augment::kNumPolicyOps,
                  ") and a magnitude index in [0, 9])");
      }
    }
  }
  Tensor out = empty({o.indices.numel(), 3, cfg.size, cfg.size}, DType::Float32, device);
  autoaug_cutout_kernels().get(device, DType::Float32)(
      images.bytes, o.geometry, o.indices, o.params, cfg, augment::policy_tables(cfg), norm, out);
  return out;
}

}  // namespace raw
}  // namespace bcl

// ---- The RandAugment views "rand" and "randaug" (tensor/kernels/augment_rand_batch.h) ---------

namespace bcl {

DispatchTable<RandViewParamsKernel>& rand_view_params_kernels() {
  static DispatchTable<RandViewParamsKernel> table("rand_view_params");
  return table;
}
DispatchTable<RandAugParamsKernel>& randaug_params_kernels() {
  static DispatchTable<RandAugParamsKernel> table("randaug_params");
  return table;
}
DispatchTable<RandViewKernel>& rand_view_kernels() {
  static DispatchTable<RandViewKernel> table("augment_rand_view");
  return table;
}
DispatchTable<RandAugKernel>& randaug_kernels() {
  static DispatchTable<RandAugKernel> table("augment_randaug");
  return table;
}

namespace {

void check_rand_spec(const augment::RandAugmentSpec& s, const char* op) {
  BCL_CHECK(
      s.num_ops >= 0 && s.num_ops <= augment::kMaxRandOps && is_probability(s.prob) &&
          s.magnitude_std >= 0 && std::isfinite(s.magnitude) && std::isfinite(s.magnitude_std),
      op, ": bad RandAugment n=", s.num_ops, " m=", s.magnitude, " mstd=", s.magnitude_std,
      " p=", s.prob, " (n in [0, ", augment::kMaxRandOps, "], p in [0, 1], mstd >= 0, finite m)");
}

void check_rand_view_size(int32_t size, const char* op) {
  BCL_CHECK(size > 0 && size <= augment::kMaxPolicyViewSize, op, ": bad size ", size,
            ": sides up to ", augment::kMaxPolicyViewSize,
            " (the CUDA kernel holds two copies of a view in shared memory)");
}

// Host params: every step that runs is one the kernels can run as data/ would.
void check_rand_steps(const augment::RandStep (&steps)[augment::kMaxRandOps], int64_t i,
                      const char* op) {
  for (int k = 0; k < augment::kMaxRandOps; ++k) {
    const augment::RandStep& s = steps[k];
    if (!s.applied) continue;
    bool finite = std::isfinite(s.argument);
    for (double v : s.m) finite = finite && std::isfinite(v);
    const bool byte_arg = (s.op != static_cast<int32_t>(augment::RandOp::Posterize) &&
                           s.op != static_cast<int32_t>(augment::RandOp::SolarizeAdd)) ||
                          (s.argument >= 0 && s.argument <= 255);
    BCL_CHECK(s.op >= 0 && s.op < augment::kNumRandOps &&
                  (s.resample == augment::kRandBilinear || s.resample == augment::kRandBicubic) &&
                  finite && byte_arg,
              op, ": params[", i, "] step ", k, " has op ", s.op, ", resample ", s.resample,
              ", argument ", s.argument, " (expected an op in [0, ", augment::kNumRandOps,
              "), resample 0 or 1, finite values, and posterize and solarize_add arguments in "
              "[0, 255])");
  }
}

}  // namespace

namespace raw {

Tensor rand_view_params(const Tensor& indices, const augment::SampleKey& key,
                        const augment::RandViewConfig& cfg, int64_t height, int64_t width) {
  const char* op = "rand_view_params";
  const Tensor idx = checked_indices(indices, op);
  check_sim_config(cfg.sim, op);
  check_rand_spec(cfg.rand, op);
  BCL_CHECK(height > 0 && width > 0, op, ": empty image ", height, "x", width);
  Tensor params = empty({idx.numel(), augment::kRandViewWords}, DType::Int64, idx.device());
  rand_view_params_kernels().get(idx.device(), DType::Int64)(
      idx, params, key, cfg, std::log(cfg.sim.ratio_lo), std::log(cfg.sim.ratio_hi), height, width);
  return params;
}

Tensor randaug_params(const Tensor& indices, const augment::SampleKey& key,
                      const augment::RandAugConfig& cfg, int64_t height, int64_t width) {
  const char* op = "randaug_params";
  const Tensor idx = checked_indices(indices, op);
  BCL_CHECK(cfg.size > 0 && cfg.padding >= 0 && is_probability(cfg.flip_p), op,
            ": bad configuration: size ", cfg.size, ", padding ", cfg.padding, ", flip_p ",
            cfg.flip_p);
  check_rand_spec(cfg.rand, op);
  BCL_CHECK(height > 0 && width > 0 && height + 2 * cfg.padding >= cfg.size &&
                width + 2 * cfg.padding >= cfg.size,
            op, ": image ", height, "x", width, " with padding ", cfg.padding,
            " is smaller than the crop ", cfg.size);
  Tensor params = empty({idx.numel(), augment::kRandAugWords}, DType::Int64, idx.device());
  randaug_params_kernels().get(idx.device(), DType::Int64)(idx, params, key, cfg, height, width);
  return params;
}

std::vector<augment::RandViewParams> rand_view_params_to_host(const Tensor& params) {
  return params_to_host<augment::RandViewParams>(params, augment::kRandViewWords,
                                                 "rand_view_params_to_host");
}
std::vector<augment::RandAugParams> randaug_params_to_host(const Tensor& params) {
  return params_to_host<augment::RandAugParams>(params, augment::kRandAugWords,
                                                "randaug_params_to_host");
}
Tensor rand_view_params_from_host(const std::vector<augment::RandViewParams>& params,
                                  Device device) {
  return params_from_host(params, augment::kRandViewWords, device);
}
Tensor randaug_params_from_host(const std::vector<augment::RandAugParams>& params, Device device) {
  return params_from_host(params, augment::kRandAugWords, device);
}

Tensor augment_rand_view(const PackedImages& images, const Tensor& indices, const Tensor& params,
                         const augment::RandViewConfig& cfg, const augment::ChannelNorm& norm) {
  const char* op = "augment_rand_view";
  check_rand_view_size(cfg.sim.size, op);
  const PixelOperands o =
      check_pixel_operands(images, indices, params, augment::kRandViewWords, op);
  const Device device = images.bytes.device();
  if (device == Device::CPU) {
    const auto* p = reinterpret_cast<const augment::RandViewParams*>(o.params.data<int64_t>());
    for (int64_t i = 0; i < o.indices.numel(); ++i) {
      const augment::SimParams& s = p[i].sim;
      BCL_CHECK(s.height > 0 && s.width > 0 && s.top >= 0 && s.left >= 0 &&
                    s.top + s.height <= images.height && s.left + s.width <= images.width,
                op, ": params[", i, "]'s box (top ", s.top, ", left ", s.left, ", ", s.height, "x",
                s.width, ") is not inside the ", images.height, "x", images.width, " images");
      check_rand_steps(p[i].step, i, op);
    }
  }
  Tensor out = empty({o.indices.numel(), 3, cfg.sim.size, cfg.sim.size}, DType::Float32, device);
  rand_view_kernels().get(device, DType::Float32)(images.bytes, o.geometry, o.indices, o.params,
                                                  cfg, norm, out);
  return out;
}

Tensor augment_randaug(const PackedImages& images, const Tensor& indices, const Tensor& params,
                       const augment::RandAugConfig& cfg, const augment::ChannelNorm& norm) {
  const char* op = "augment_randaug";
  check_rand_view_size(cfg.size, op);
  const PixelOperands o = check_pixel_operands(images, indices, params, augment::kRandAugWords, op);
  const Device device = images.bytes.device();
  if (device == Device::CPU) {
    const auto* p = reinterpret_cast<const augment::RandAugParams*>(o.params.data<int64_t>());
    for (int64_t i = 0; i < o.indices.numel(); ++i) check_rand_steps(p[i].step, i, op);
  }
  Tensor out = empty({o.indices.numel(), 3, cfg.size, cfg.size}, DType::Float32, device);
  randaug_kernels().get(device, DType::Float32)(images.bytes, o.geometry, o.indices, o.params, cfg,
                                                norm, out);
  return out;
}

}  // namespace raw
}  // namespace bcl
