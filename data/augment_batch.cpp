// The batched augmentations' front-ends (argument checks, outputs, the kernel tables) and their
// CPU kernels: augment_batch.h's draw_view and render_view, one sample at a time.
#include "data/augment_batch.h"

#include <cmath>
#include <limits>
#include <string>

namespace bcl::augment {

// One table per view and step: augment_draw_<view> and augment_render_<view>.
template <class Config>
DispatchTable<DrawKernel<Config>>& draw_kernels() {
  static const std::string name = std::string("augment_draw_") + Config::kView;
  static DispatchTable<DrawKernel<Config>> table(name.c_str());
  return table;
}
template <class Config>
DispatchTable<RenderKernel<Config>>& render_kernels() {
  static const std::string name = std::string("augment_render_") + Config::kView;
  static DispatchTable<RenderKernel<Config>> table(name.c_str());
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
            ": indices must be a 1-dim Int64 tensor");
  return raw::contiguous(indices);
}

void check_crop(int32_t size, int32_t padding, double flip_p, int32_t cutout, int64_t height,
                int64_t width, const char* op) {
  BCL_CHECK(size > 0 && padding >= 0 && cutout >= 0 && is_probability(flip_p), op,
            ": bad configuration: size ", size, ", padding ", padding, ", flip_p ", flip_p,
            ", cutout ", cutout);
  BCL_CHECK(height > 0 && width > 0 && height + 2 * padding >= size && width + 2 * padding >= size,
            op, ": image ", height, "x", width, " with padding ", padding,
            " is smaller than the crop ", size);
}
void check_sim(const SimConfig& c, int64_t height, int64_t width, const char* op) {
  BCL_CHECK(c.size > 0 && c.scale_lo > 0 && c.scale_lo <= c.scale_hi && c.ratio_lo > 0 &&
                c.ratio_lo <= c.ratio_hi,
            op, ": bad size ", c.size, ", scale (", c.scale_lo, ", ", c.scale_hi, ") or ratio (",
            c.ratio_lo, ", ", c.ratio_hi, ")");
  BCL_CHECK(is_probability(c.flip_p) && is_probability(c.jitter_p) && is_probability(c.gray_p), op,
            ": probabilities flip_p ", c.flip_p, ", jitter_p ", c.jitter_p, ", gray_p ", c.gray_p,
            " must lie in [0, 1]");
  BCL_CHECK(c.brightness >= 0 && c.contrast >= 0 && c.saturation >= 0 && c.hue >= 0 && c.hue <= 0.5,
            op, ": bad colour jitter (", c.brightness, ", ", c.contrast, ", ", c.saturation, ", ",
            c.hue, "): need non-negative values and hue <= 0.5");
  BCL_CHECK(height > 0 && width > 0, op, ": empty image ", height, "x", width);
}
void check_rand(const RandAugmentSpec& s, const char* op) {
  BCL_CHECK(s.num_ops >= 0 && s.num_ops <= kMaxRandOps && is_probability(s.prob) &&
                s.magnitude_std >= 0 && std::isfinite(s.magnitude) &&
                std::isfinite(s.magnitude_std),
            op, ": bad RandAugment n=", s.num_ops, " m=", s.magnitude, " mstd=", s.magnitude_std,
            " p=", s.prob, " (n in [0, ", kMaxRandOps, "], p in [0, 1], mstd >= 0, finite m)");
}

template <class Config>
Tensor draw(const Tensor& indices, const SampleKey& key, const Config& cfg, const DrawArgs& args,
            const char* op) {
  const Tensor idx = checked_indices(indices, op);
  Tensor params = empty({idx.numel(), kWords<ParamsOf<Config>>}, DType::Int64, idx.device());
  draw_kernels<Config>().get(idx.device(), DType::Int64)(idx, params, key, cfg, args);
  return params;
}
DrawArgs draw_args(int64_t height, int64_t width, double ratio_lo = 1, double ratio_hi = 1) {
  DrawArgs a;
  a.height = height;
  a.width = width;
  a.log_ratio[0] = std::log(ratio_lo);
  a.log_ratio[1] = std::log(ratio_hi);
  return a;
}

// Hand-made host params may be anything (a GPU's come from the draw kernels, and reading them back
// would wait for the stream): what the renders must be able to trust.
void check_box(const SimParams& p, const PackedImages& images, int64_t i, const char* op) {
  BCL_CHECK(p.height > 0 && p.width > 0 && p.top >= 0 && p.left >= 0 &&
                p.top + p.height <= images.height && p.left + p.width <= images.width,
            op, ": params[", i, "]'s box (top ", p.top, ", left ", p.left, ", ", p.height, "x",
            p.width, ") is not inside the ", images.height, "x", images.width, " images");
}
void check_steps(const RandStep (&steps)[kMaxRandOps], int64_t i, const char* op) {
  for (int k = 0; k < kMaxRandOps; ++k) {
    const RandStep& s = steps[k];
    if (!s.applied) continue;
    bool finite = std::isfinite(s.argument);
    for (double v : s.m) finite = finite && std::isfinite(v);
    const bool byte_arg = (s.op != static_cast<int32_t>(RandOp::Posterize) &&
                           s.op != static_cast<int32_t>(RandOp::SolarizeAdd)) ||
                          (s.argument >= 0 && s.argument <= 255);
    BCL_CHECK(s.op >= 0 && s.op < kNumRandOps &&
                  (s.resample == kRandBilinear || s.resample == kRandBicubic) && finite && byte_arg,
              op, ": params[", i, "] step ", k, " has op ", s.op, ", resample ", s.resample,
              ", argument ", s.argument, " (expected an op in [0, ", kNumRandOps,
              "), resample 0 or 1, finite values, and posterize and solarize_add arguments in "
              "[0, 255])");
  }
}
void check_params(const CropFlipParams&, const PackedImages&, int64_t, const char*) {}
void check_params(const SimParams& p, const PackedImages& images, int64_t i, const char* op) {
  check_box(p, images, i, op);
}
void check_params(const AutoAugCutoutParams& p, const PackedImages&, int64_t i, const char* op) {
  for (int k = 0; k < 2; ++k) {
    BCL_CHECK(p.op[k] >= 0 && p.op[k] < kNumPolicyOps && p.magnitude[k] >= 0 && p.magnitude[k] <= 9,
              op, ": params[", i, "] step ", k, " has op ", p.op[k], " and magnitude ",
              p.magnitude[k], " (expected an op in [0, ", kNumPolicyOps,
              ") and a magnitude index in [0, 9])");
  }
}
void check_params(const RandViewParams& p, const PackedImages& images, int64_t i, const char* op) {
  check_box(p.sim, images, i, op);
  check_steps(p.step, i, op);
}
void check_params(const RandAugParams& p, const PackedImages&, int64_t i, const char* op) {
  check_steps(p.step, i, op);
}

template <class Config>
Tensor render(const PackedImages& images, const Tensor& indices, const Tensor& params,
              const Config& cfg, const ChannelNorm& norm, const char* op) {
  using P = ParamsOf<Config>;
  const int32_t size = view_size(cfg);
  BCL_CHECK(size > 0 && (std::is_same<Config, CropFlipConfig>::value ||
                         std::is_same<Config, SimConfig>::value || size <= kMaxPolicyViewSize),
            op, ": bad size ", size, ": AutoAugment and RandAugment views have sides up to ",
            kMaxPolicyViewSize, " (the CUDA kernel holds two copies of a view in shared memory)");
  BCL_CHECK(images.bytes.defined() && images.bytes.dtype() == DType::Int64 &&
                images.bytes.is_contiguous() && images.count >= 0 && images.height > 0 &&
                images.width > 0 &&
                images.bytes.numel() == packed_words(images.count, images.height, images.width),
            op, ": images are not a packed batch (pack_images) of ", images.count, " images ",
            images.height, "x", images.width);
  const Tensor idx = checked_indices(indices, op);
  const Device device = images.bytes.device();
  BCL_CHECK(idx.device() == device, op, ": indices are on ", device_name(idx.device()),
            ", the images on ", device_name(device));
  BCL_CHECK(params.defined() && params.dtype() == DType::Int64 &&
                params.shape() == Shape({idx.numel(), kWords<P>}) && params.device() == device,
            op, ": params must be Int64 [", idx.numel(), ", ", kWords<P>, "] on ",
            device_name(device), " (from the matching *_params op)");
  const Tensor prm = raw::contiguous(params);
  if (device == Device::CPU) {
    const int64_t* ix = idx.data<int64_t>();
    const auto* p = reinterpret_cast<const P*>(prm.data<int64_t>());
    for (int64_t i = 0; i < idx.numel(); ++i) {
      BCL_CHECK(ix[i] >= 0 && ix[i] < images.count, op, ": indices[", i, "] = ", ix[i],
                " is out of range [0, ", images.count, ")");
      check_params(p[i], images, i, op);
    }
  }
  RenderArgs args;
  args.count = images.count;
  args.height = images.height;
  args.width = images.width;
  if (std::is_same<Config, AutoAugCutoutConfig>::value)
    for (int32_t i = 0; i < 10; ++i) args.rotate[i] = policy_rotation(i, size, size);
  Tensor out = empty({idx.numel(), 3, size, size}, DType::Float32, device);
  render_kernels<Config>().get(device, DType::Float32)(images.bytes, idx, prm, cfg, args, norm,
                                                       out);
  return out;
}

// ---- CPU kernels ----------------------------------------------------------------------------

template <class Config>
void draw_cpu(const Tensor& indices, const Tensor& params, const SampleKey& key, const Config& cfg,
              const DrawArgs& args) {
  const int64_t* idx = indices.data<int64_t>();
  auto* out = reinterpret_cast<ParamsOf<Config>*>(params.data<int64_t>());
  const int64_t n = indices.numel();
#pragma omp parallel for if (n > 256)
  for (int64_t i = 0; i < n; ++i) {
    PhiloxStream g = sample_stream(key, idx[i]);
    out[i] = draw_view(g, cfg, args);
  }
}

template <class Config>
void render_cpu(const Tensor& images, const Tensor& indices, const Tensor& params,
                const Config& cfg, const RenderArgs& args, const ChannelNorm& norm,
                const Tensor& out) {
  const auto* bytes = reinterpret_cast<const uint8_t*>(images.data<int64_t>());
  const int64_t* idx = indices.data<int64_t>();
  const auto* prm = reinterpret_cast<const ParamsOf<Config>*>(params.data<int64_t>());
  const int64_t n = out.size(0), per = out.numel() / (n > 0 ? n : 1);
  const int64_t staged = 3 * static_cast<int64_t>(view_size(cfg)) * view_size(cfg);
#pragma omp parallel if (n > 4)
  {
    SerialLoop L;
    std::vector<uint8_t> buf(static_cast<size_t>(2 * staged));
#pragma omp for
    for (int64_t i = 0; i < n; ++i) {
      float* dst = out.data<float>() + i * per;
      if (idx[i] < 0 || idx[i] >= args.count) {
        for (int64_t j = 0; j < per; ++j) dst[j] = std::numeric_limits<float>::quiet_NaN();
        continue;
      }
      render_view(L, bytes + idx[i] * args.height * args.width * 3, args, prm[i], cfg, norm,
                  buf.data(), buf.data() + staged, dst);
    }
  }
}

template <class Config>
struct RegisterCpu {
  RegisterCpu() {
    draw_kernels<Config>().set(Device::CPU, DType::Int64, &draw_cpu<Config>);
    render_kernels<Config>().set(Device::CPU, DType::Float32, &render_cpu<Config>);
  }
};
const RegisterCpu<CropFlipConfig> reg_crop_flip;
const RegisterCpu<SimConfig> reg_sim;
const RegisterCpu<AutoAugCutoutConfig> reg_autoaug_cutout;
const RegisterCpu<RandViewConfig> reg_rand_view;
const RegisterCpu<RandAugConfig> reg_randaug;

}  // namespace

template DispatchTable<DrawKernel<CropFlipConfig>>& draw_kernels();
template DispatchTable<DrawKernel<SimConfig>>& draw_kernels();
template DispatchTable<DrawKernel<AutoAugCutoutConfig>>& draw_kernels();
template DispatchTable<DrawKernel<RandViewConfig>>& draw_kernels();
template DispatchTable<DrawKernel<RandAugConfig>>& draw_kernels();
template DispatchTable<RenderKernel<CropFlipConfig>>& render_kernels();
template DispatchTable<RenderKernel<SimConfig>>& render_kernels();
template DispatchTable<RenderKernel<AutoAugCutoutConfig>>& render_kernels();
template DispatchTable<RenderKernel<RandViewConfig>>& render_kernels();
template DispatchTable<RenderKernel<RandAugConfig>>& render_kernels();

PackedImages pack_images(const uint8_t* pixels, int64_t count, int64_t height, int64_t width,
                         Device device) {
  BCL_CHECK(count >= 0 && height > 0 && width > 0 && (count == 0 || pixels != nullptr),
            "pack_images: bad batch of ", count, " images ", height, "x", width);
  Tensor host = zeros({packed_words(count, height, width)}, DType::Int64);
  if (count > 0)
    std::memcpy(host.raw_data(), pixels, static_cast<size_t>(count * height * width * 3));
  return {raw::to_device(host, device), count, height, width};
}

std::vector<uint8_t> unpack_images(const PackedImages& images) {
  BCL_CHECK(images.bytes.defined() &&
                images.bytes.numel() == packed_words(images.count, images.height, images.width),
            "unpack_images: not a packed batch");
  const Tensor host = raw::contiguous(raw::to_device(images.bytes, Device::CPU));
  std::vector<uint8_t> out(static_cast<size_t>(images.count * images.height * images.width * 3));
  if (!out.empty()) std::memcpy(out.data(), host.raw_data(), out.size());
  return out;
}

Tensor crop_flip_params(const Tensor& indices, const SampleKey& key, const CropFlipConfig& cfg,
                        int64_t height, int64_t width) {
  check_crop(cfg.size, cfg.padding, cfg.flip_p, cfg.cutout, height, width, "crop_flip_params");
  return draw(indices, key, cfg, draw_args(height, width), "crop_flip_params");
}
Tensor sim_params(const Tensor& indices, const SampleKey& key, const SimConfig& cfg, int64_t height,
                  int64_t width) {
  check_sim(cfg, height, width, "sim_params");
  return draw(indices, key, cfg, draw_args(height, width, cfg.ratio_lo, cfg.ratio_hi),
              "sim_params");
}
Tensor autoaug_cutout_params(const Tensor& indices, const SampleKey& key,
                             const AutoAugCutoutConfig& cfg, int64_t height, int64_t width) {
  const char* op = "autoaug_cutout_params";
  check_crop(cfg.size, cfg.padding, cfg.flip_p, cfg.cutout, height, width, op);
  return draw(indices, key, cfg, draw_args(height, width), op);
}
Tensor rand_view_params(const Tensor& indices, const SampleKey& key, const RandViewConfig& cfg,
                        int64_t height, int64_t width) {
  check_sim(cfg.sim, height, width, "rand_view_params");
  check_rand(cfg.rand, "rand_view_params");
  return draw(indices, key, cfg, draw_args(height, width, cfg.sim.ratio_lo, cfg.sim.ratio_hi),
              "rand_view_params");
}
Tensor randaug_params(const Tensor& indices, const SampleKey& key, const RandAugConfig& cfg,
                      int64_t height, int64_t width) {
  check_crop(cfg.size, cfg.padding, cfg.flip_p, 0, height, width, "randaug_params");
  check_rand(cfg.rand, "randaug_params");
  return draw(indices, key, cfg, draw_args(height, width), "randaug_params");
}

Tensor augment_crop_flip(const PackedImages& images, const Tensor& indices, const Tensor& params,
                         const CropFlipConfig& cfg, const ChannelNorm& norm) {
  return render(images, indices, params, cfg, norm, "augment_crop_flip");
}
Tensor augment_sim(const PackedImages& images, const Tensor& indices, const Tensor& params,
                   const SimConfig& cfg, const ChannelNorm& norm) {
  return render(images, indices, params, cfg, norm, "augment_sim");
}
Tensor augment_autoaug_cutout(const PackedImages& images, const Tensor& indices,
                              const Tensor& params, const AutoAugCutoutConfig& cfg,
                              const ChannelNorm& norm) {
  return render(images, indices, params, cfg, norm, "augment_autoaug_cutout");
}
Tensor augment_rand_view(const PackedImages& images, const Tensor& indices, const Tensor& params,
                         const RandViewConfig& cfg, const ChannelNorm& norm) {
  return render(images, indices, params, cfg, norm, "augment_rand_view");
}
Tensor augment_randaug(const PackedImages& images, const Tensor& indices, const Tensor& params,
                       const RandAugConfig& cfg, const ChannelNorm& norm) {
  return render(images, indices, params, cfg, norm, "augment_randaug");
}

}  // namespace bcl::augment
