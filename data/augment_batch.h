// Batched augmentation: views of a batch of uint8 images held on a device, made there. Per-sample
// parameters are drawn from (seed, epoch, sample index, view) by augment_draws.h (the draws of the
// CPU loader's ops, in their order), then the pixels are rendered by augment_pixels.h's functions
// (the loader's ops' own) and normalised into float32 [N, 3, size, size]. data/gpu_views.h makes
// BCL's three views from these. Five views:
//   crop-flip       random crop with zero padding, flip, optional Cutout (CE)
//   autoaug-cutout  crop-flip, AutoAugment's CIFAR-10 policy, Cutout (CE)
//   randaug         crop-flip, RandAugment rand-n2-m10-mstd0.5 (CE)
//   sim             random resized crop, flip, colour jitter, grayscale (contrastive)
//   rand            sim, then RandAugment (contrastive)
// Each view is one (Config, Params) pair of augment_draws.h, and its draw and render below are
// called by the CPU kernels (one sample at a time, a SerialLoop) and the CUDA kernels (one block
// per sample): the two devices run the same code. Given the same params they give the same bytes;
// draws agree except in the last bits of a transcendental function (augment_draws.h).
#pragma once

#include <cstdint>
#include <cstring>
#include <type_traits>
#include <utility>
#include <vector>

#include "data/augment_pixels.h"
#include "tensor/dispatch.h"
#include "tensor/ops.h"

namespace bcl::augment {

// `count` uint8 HWC images of height x width x 3, back to back, in the bytes of a contiguous Int64
// tensor of ceil(count * height * width * 3 / 8) elements, zero-padded at the end. bcl has no
// uint8 dtype; the words are never read as numbers, and copies move them bit for bit.
struct PackedImages {
  Tensor bytes;
  int64_t count = 0, height = 0, width = 0;
};
// pixels: count * height * width * 3 bytes on the host.
PackedImages pack_images(const uint8_t* pixels, int64_t count, int64_t height, int64_t width,
                         Device device);
std::vector<uint8_t> unpack_images(const PackedImages& images);

// The draws for indices (Int64 [N], any device; the dataset index of each sample) on images of
// height x width: Int64 [N, kWords<Params>] on the indices' device, one Params per row. Bad
// configurations throw: a crop needs height, width + 2 padding >= size; sim needs
// 0 < scale_lo <= scale_hi, 0 < ratio_lo <= ratio_hi, probabilities in [0, 1], non-negative
// jitter arguments and hue <= 0.5; RandAugment needs num_ops in [0, kMaxRandOps], prob in
// [0, 1], magnitude_std >= 0 and a finite magnitude.
Tensor crop_flip_params(const Tensor& indices, const SampleKey& key, const CropFlipConfig& cfg,
                        int64_t height, int64_t width);
Tensor sim_params(const Tensor& indices, const SampleKey& key, const SimConfig& cfg, int64_t height,
                  int64_t width);
Tensor autoaug_cutout_params(const Tensor& indices, const SampleKey& key,
                             const AutoAugCutoutConfig& cfg, int64_t height, int64_t width);
Tensor rand_view_params(const Tensor& indices, const SampleKey& key, const RandViewConfig& cfg,
                        int64_t height, int64_t width);
Tensor randaug_params(const Tensor& indices, const SampleKey& key, const RandAugConfig& cfg,
                      int64_t height, int64_t width);

// Params to and from the host (to inspect draws, or to apply fixed parameters): P is the view's
// Params type; params is Int64 [N, kWords<P>].
template <class P>
std::vector<P> params_to_host(const Tensor& params) {
  BCL_CHECK(params.defined() && params.dtype() == DType::Int64 && params.dim() == 2 &&
                params.size(1) == kWords<P>,
            "params_to_host: params must be Int64 [N, ", kWords<P>, "]");
  const Tensor host = raw::contiguous(raw::to_device(params, Device::CPU));
  std::vector<P> out(static_cast<size_t>(host.size(0)));
  if (!out.empty()) std::memcpy(out.data(), host.raw_data(), out.size() * sizeof(P));
  return out;
}
template <class P>
Tensor params_from_host(const std::vector<P>& params, Device device) {
  Tensor host = empty({static_cast<int64_t>(params.size()), kWords<P>}, DType::Int64);
  if (!params.empty()) std::memcpy(host.raw_data(), params.data(), params.size() * sizeof(P));
  return raw::to_device(host, device);
}

// The views of images[indices[i]] under params[i], float32 [N, 3, size, size] on the images'
// device (indices and params must be there too). The config's view size is read, and the fill of
// autoaug-cutout and of RandAugment; the params carry the rest. An index outside [0, count)
// throws when the indices are on the host; on the GPU it is not checked (that would wait for the
// stream) and the sample's output is NaN instead. Params on the host are checked: sim boxes inside
// the images; policy steps naming ops in [0, 14) and magnitude indices in [0, 9]; RandAugment
// steps that run naming an op in [0, 15) and a resampling of 0 or 1, with finite argument and
// matrix (posterize and solarize_add arguments in [0, 255]). On a GPU a step naming no op does
// nothing. The views that stage pixels (all but crop-flip) are at most kMaxPolicyViewSize (64) px
// when they run AutoAugment or RandAugment; sim views fit the GPU's shared memory up to ~200 px.
constexpr int32_t kMaxPolicyViewSize = 64;
Tensor augment_crop_flip(const PackedImages& images, const Tensor& indices, const Tensor& params,
                         const CropFlipConfig& cfg, const ChannelNorm& norm);
Tensor augment_sim(const PackedImages& images, const Tensor& indices, const Tensor& params,
                   const SimConfig& cfg, const ChannelNorm& norm);
Tensor augment_autoaug_cutout(const PackedImages& images, const Tensor& indices,
                              const Tensor& params, const AutoAugCutoutConfig& cfg,
                              const ChannelNorm& norm);
Tensor augment_rand_view(const PackedImages& images, const Tensor& indices, const Tensor& params,
                         const RandViewConfig& cfg, const ChannelNorm& norm);
Tensor augment_randaug(const PackedImages& images, const Tensor& indices, const Tensor& params,
                       const RandAugConfig& cfg, const ChannelNorm& norm);

// ---- The kernels (data/augment_batch.cpp for the CPU, augment_batch.cu for CUDA) --------------

// What the draws read besides the config: the images' size and, for sim boxes, the log of the
// ratio bounds (taken on the host, so that both devices use one value).
struct DrawArgs {
  int64_t height = 0, width = 0;
  double log_ratio[2] = {0, 0};
};
// What the renders read besides the config and params: rotate's warp per magnitude index for
// AutoAugment (computed on the host: cos, sin and long double), and the images' geometry.
struct RenderArgs {
  int64_t count = 0, height = 0, width = 0;
  Warp rotate[10];
};

// params[i] = draw(sample_stream(key, indices[i])). Keyed by Int64.
template <class Config>
using DrawKernel = void (*)(const Tensor& indices, const Tensor& params, const SampleKey& key,
                            const Config& cfg, const DrawArgs& args);
// out[i] = the view of images[indices[i]] under params[i], normalised. Keyed by Float32.
template <class Config>
using RenderKernel = void (*)(const Tensor& images, const Tensor& indices, const Tensor& params,
                              const Config& cfg, const RenderArgs& args, const ChannelNorm& norm,
                              const Tensor& out);
template <class Config>
DispatchTable<DrawKernel<Config>>& draw_kernels();
template <class Config>
DispatchTable<RenderKernel<Config>>& render_kernels();

// Each view's draw, its params type, its side and the staging buffers its render needs.
template <class Rng>
BCL_HOST_DEVICE CropFlipParams draw_view(Rng& g, const CropFlipConfig& c, const DrawArgs& a) {
  return draw_crop_flip(g, a.height, a.width, c.size, c.padding, c.flip_p, c.cutout);
}
template <class Rng>
BCL_HOST_DEVICE SimParams draw_view(Rng& g, const SimConfig& c, const DrawArgs& a) {
  return draw_sim(g, c, a.log_ratio, a.height, a.width);
}
template <class Rng>
BCL_HOST_DEVICE AutoAugCutoutParams draw_view(Rng& g, const AutoAugCutoutConfig& c,
                                              const DrawArgs& a) {
  return draw_autoaug_cutout(g, c, a.height, a.width);
}
template <class Rng>
BCL_HOST_DEVICE RandViewParams draw_view(Rng& g, const RandViewConfig& c, const DrawArgs& a) {
  return draw_rand_view(g, c, a.log_ratio, a.height, a.width);
}
template <class Rng>
BCL_HOST_DEVICE RandAugParams draw_view(Rng& g, const RandAugConfig& c, const DrawArgs& a) {
  return draw_randaug(g, c, a.height, a.width);
}
template <class Config>
using ParamsOf = decltype(draw_view(std::declval<PhiloxStream&>(), std::declval<const Config&>(),
                                    std::declval<const DrawArgs&>()));

BCL_HOST_DEVICE inline int32_t view_size(const RandViewConfig& c) {
  return c.sim.size;
}
template <class Config>
BCL_HOST_DEVICE int32_t view_size(const Config& c) {
  return c.size;
}
// Bytes of shared memory (CUDA) or scratch (CPU) per view: none for crop-flip, which reads the
// image directly, one view for sim, two (a step's input and output) for the others.
template <class Config>
int64_t staging_bytes(const Config& c) {
  const int64_t views = std::is_same<Config, CropFlipConfig>::value ? 0
                        : std::is_same<Config, SimConfig>::value    ? 1
                                                                    : 2;
  return views * 3 * view_size(c) * view_size(c);
}

// The normalised output of a view whose pixel q is pixel(q, rgb), zeros inside the cutout rect.
template <class Loop, class Pixel>
BCL_HOST_DEVICE void write_view(Loop& L, int32_t size, const CropFlipParams& cut,
                                const ChannelNorm& norm, float* dst, Pixel pixel) {
  const int64_t plane = static_cast<int64_t>(size) * size;
  L.each(plane, [&](int64_t q) {
    const int64_t y = q / size, x = q % size;
    uint8_t rgb[3] = {0, 0, 0};
    if (!(y >= cut.cut_y0 && y < cut.cut_y1 && x >= cut.cut_x0 && x < cut.cut_x1)) pixel(q, rgb);
    for (int c = 0; c < 3; ++c) dst[c * plane + q] = normalize_value(rgb[c], norm, c);
  });
}
template <class Loop>
BCL_HOST_DEVICE void write_staged(Loop& L, int32_t size, const CropFlipParams& cut,
                                  const ChannelNorm& norm, const uint8_t* a, float* dst) {
  write_view(L, size, cut, norm, dst, [&](int64_t q, uint8_t* rgb) {
    for (int c = 0; c < 3; ++c) rgb[c] = a[3 * q + c];
  });
}

// The renders: image img (args.height x args.width), staging buffers a and b, output dst
// (3 planes of size x size).
template <class Loop>
BCL_HOST_DEVICE void crop_stage(Loop& L, const uint8_t* img, const RenderArgs& r,
                                const CropFlipParams& p, int32_t size, uint8_t* a) {
  L.each(static_cast<int64_t>(size) * size, [&](int64_t q) {
    crop_pixel(img, r.height, r.width, p.top, p.left, p.flip, size, q / size, q % size, a + 3 * q);
  });
  L.sync();
}
template <class Loop>
BCL_HOST_DEVICE uint8_t* rand_steps(Loop& L, const RandStep (&steps)[kMaxRandOps], int32_t size,
                                    const uint8_t* fill, uint8_t* a, uint8_t* b) {
  for (const RandStep& s : steps) {
    uint8_t* out = run_step(L, rand_step_spec(s, size, size, fill), a, b, size, size);
    if (out == b) b = a;
    a = out;
  }
  return a;
}
template <class Loop>
BCL_HOST_DEVICE void render_view(Loop& L, const uint8_t* img, const RenderArgs& r,
                                 const CropFlipParams& p, const CropFlipConfig& c,
                                 const ChannelNorm& norm, uint8_t*, uint8_t*, float* dst) {
  write_view(L, c.size, p, norm, dst, [&](int64_t q, uint8_t* rgb) {
    crop_pixel(img, r.height, r.width, p.top, p.left, p.flip, c.size, q / c.size, q % c.size, rgb);
  });
}
template <class Loop>
BCL_HOST_DEVICE void render_view(Loop& L, const uint8_t* img, const RenderArgs& r,
                                 const SimParams& p, const SimConfig& c, const ChannelNorm& norm,
                                 uint8_t* a, uint8_t*, float* dst) {
  sim_view(L, img, r.width, p, c.size, a);
  write_staged(L, c.size, CropFlipParams(), norm, a, dst);
}
template <class Loop>
BCL_HOST_DEVICE void render_view(Loop& L, const uint8_t* img, const RenderArgs& r,
                                 const AutoAugCutoutParams& p, const AutoAugCutoutConfig& c,
                                 const ChannelNorm& norm, uint8_t* a, uint8_t* b, float* dst) {
  crop_stage(L, img, r, p, c.size, a);
  for (int k = 0; k < 2; ++k) {
    if (!p.apply[k]) continue;
    const int32_t i = p.magnitude[k];
    const StepSpec s = policy_step(p.op[k], i, p.sign[k], c.size, c.size, c.fill,
                                   r.rotate[i < 0 || i > 9 ? 0 : i]);
    uint8_t* out = run_step(L, s, a, b, c.size, c.size);
    if (out == b) b = a;
    a = out;
  }
  write_staged(L, c.size, p, norm, a, dst);
}
template <class Loop>
BCL_HOST_DEVICE void render_view(Loop& L, const uint8_t* img, const RenderArgs& r,
                                 const RandViewParams& p, const RandViewConfig& c,
                                 const ChannelNorm& norm, uint8_t* a, uint8_t* b, float* dst) {
  sim_view(L, img, r.width, p.sim, c.sim.size, a);
  write_staged(L, c.sim.size, CropFlipParams(), norm,
               rand_steps(L, p.step, c.sim.size, c.rand.fill, a, b), dst);
}
template <class Loop>
BCL_HOST_DEVICE void render_view(Loop& L, const uint8_t* img, const RenderArgs& r,
                                 const RandAugParams& p, const RandAugConfig& c,
                                 const ChannelNorm& norm, uint8_t* a, uint8_t* b, float* dst) {
  crop_stage(L, img, r, p, c.size, a);
  write_staged(L, c.size, p, norm, rand_steps(L, p.step, c.size, c.rand.fill, a, b), dst);
}

}  // namespace bcl::augment
