// Front-ends of the batched RandAugment views, "rand" (sim + RandAugment, a contrastive view) and
// "randaug" (a CE view) (tensor/kernels/augment_rand_batch.h): argument checks, outputs, and the
// kernel tables.
#include <cmath>

#include "tensor/kernels/augment_rand_batch.h"
#include "tensor/ops.h"
#include "tensor/ops_augment_common.h"

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

using namespace augment_frontend;

namespace {

void check_rand_spec(const augment::RandAugmentSpec& s, const char* op) {
  BCL_CHECK(
      s.num_ops >= 0 && s.num_ops <= augment::kMaxRandOps && is_probability(s.prob) &&
          s.magnitude_std >= 0 && std::isfinite(s.magnitude) && std::isfinite(s.magnitude_std),
      op, ": bad RandAugment n=", s.num_ops, " m=", s.magnitude, " mstd=", s.magnitude_std,
      " p=", s.prob, " (n in [0, ", augment::kMaxRandOps, "], p in [0, 1], mstd >= 0, finite m)");
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
  check_crop_fits(height, width, cfg.padding, cfg.size, op);
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
  check_policy_view_size(cfg.sim.size, op);
  return run_pixel_op<augment::RandViewParams>(
      images, indices, params, augment::kRandViewWords, cfg.sim.size, op,
      [&](const augment::RandViewParams& p, int64_t i) {
        check_sim_box(p.sim, images, i, op);
        check_rand_steps(p.step, i, op);
      },
      [&](const PixelOperands& o, Tensor& out) {
        rand_view_kernels().get(out.device(), DType::Float32)(images.bytes, o.geometry, o.indices,
                                                              o.params, cfg, norm, out);
      });
}

Tensor augment_randaug(const PackedImages& images, const Tensor& indices, const Tensor& params,
                       const augment::RandAugConfig& cfg, const augment::ChannelNorm& norm) {
  const char* op = "augment_randaug";
  check_policy_view_size(cfg.size, op);
  return run_pixel_op<augment::RandAugParams>(
      images, indices, params, augment::kRandAugWords, cfg.size, op,
      [op](const augment::RandAugParams& p, int64_t i) { check_rand_steps(p.step, i, op); },
      [&](const PixelOperands& o, Tensor& out) {
        randaug_kernels().get(out.device(), DType::Float32)(images.bytes, o.geometry, o.indices,
                                                            o.params, cfg, norm, out);
      });
}

}  // namespace raw
}  // namespace bcl
