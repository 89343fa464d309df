// What the front-ends of the batched augmentation ops share (tensor/ops_augment*.cpp): the
// packed layout's size, the checks of indices, configurations and params, the frame of a pixel op,
// and the params' round trip through the host. Internal to those files; not part of tensor/ops.h.
#pragma once

#include <cstring>
#include <vector>

#include "tensor/kernels/augment_batch.h"
#include "tensor/kernels/augment_policy.h"
#include "tensor/ops.h"

namespace bcl::augment_frontend {

inline int64_t packed_words(int64_t count, int64_t height, int64_t width) {
  return (count * height * width * 3 + 7) / 8;
}

inline bool is_probability(double p) {
  return p >= 0 && p <= 1;
}

inline Tensor checked_indices(const Tensor& indices, const char* op) {
  BCL_CHECK(indices.defined() && indices.dtype() == DType::Int64 && indices.dim() == 1, op,
            ": indices must be a 1-dim Int64 tensor, got ",
            indices.defined()
                ? detail::cat(dtype_name(indices.dtype()), " of shape ", shape_str(indices.shape()))
                : std::string("an undefined tensor"));
  return raw::contiguous(indices);
}

inline void check_sim_config(const augment::SimConfig& cfg, const char* op) {
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

inline PixelOperands check_pixel_operands(const raw::PackedImages& images, const Tensor& indices,
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

// The frame every pixel op shares: the operands checked; on the CPU, each sample's params (of
// type P) checked by check_sample(p, i), since hand-made host params may be anything (a GPU's come
// from the params kernels, and reading them back would sync); the [N, 3, size, size] output; and
// run(operands, out), the kernel.
template <class P, class CheckSample, class Run>
Tensor run_pixel_op(const raw::PackedImages& images, const Tensor& indices, const Tensor& params,
                    int64_t words, int32_t size, const char* op, CheckSample check_sample,
                    Run run) {
  const PixelOperands o = check_pixel_operands(images, indices, params, words, op);
  const Device device = images.bytes.device();
  if (device == Device::CPU) {
    const auto* p = reinterpret_cast<const P*>(o.params.data<int64_t>());
    for (int64_t i = 0; i < o.indices.numel(); ++i) check_sample(p[i], i);
  }
  Tensor out = empty({o.indices.numel(), 3, size, size}, DType::Float32, device);
  run(o, out);
  return out;
}

// A crop of side `size` from an image padded by `padding` on each side must fit.
inline void check_crop_fits(int64_t height, int64_t width, int64_t padding, int64_t size,
                            const char* op) {
  BCL_CHECK(height > 0 && width > 0 && height + 2 * padding >= size && width + 2 * padding >= size,
            op, ": image ", height, "x", width, " with padding ", padding,
            " is smaller than the crop ", size);
}

// The sim crop box lies inside the images.
inline void check_sim_box(const augment::SimParams& p, const raw::PackedImages& images, int64_t i,
                          const char* op) {
  BCL_CHECK(p.height > 0 && p.width > 0 && p.top >= 0 && p.left >= 0 &&
                p.top + p.height <= images.height && p.left + p.width <= images.width,
            op, ": params[", i, "]'s box (top ", p.top, ", left ", p.left, ", ", p.height, "x",
            p.width, ") is not inside the ", images.height, "x", images.width, " images");
}

// Crop-flip-cutout configurations (crop-flip and autoaug-cutout share these fields).
template <class Config>
void check_padded_crop_config(const Config& cfg, const char* op) {
  BCL_CHECK(cfg.size > 0 && cfg.padding >= 0 && cfg.cutout >= 0 && is_probability(cfg.flip_p), op,
            ": bad configuration: size ", cfg.size, ", padding ", cfg.padding, ", flip_p ",
            cfg.flip_p, ", cutout ", cfg.cutout);
}

inline void check_policy_view_size(int32_t size, const char* op) {
  BCL_CHECK(size > 0 && size <= augment::kMaxPolicyViewSize, op, ": bad size ", size,
            ": sides up to ", augment::kMaxPolicyViewSize,
            " (the CUDA kernel holds two copies of a view in shared memory)");
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

}  // namespace bcl::augment_frontend
