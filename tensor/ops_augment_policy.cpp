// Front-ends of the batched "autoaug-cutout" view (tensor/kernels/augment_policy_batch.h):
// argument checks, outputs, and the kernel tables.
#include "tensor/kernels/augment_policy_batch.h"
#include "tensor/ops.h"
#include "tensor/ops_augment_common.h"

namespace bcl {

DispatchTable<AutoAugCutoutParamsKernel>& autoaug_cutout_params_kernels() {
  static DispatchTable<AutoAugCutoutParamsKernel> table("autoaug_cutout_params");
  return table;
}
DispatchTable<AutoAugCutoutKernel>& autoaug_cutout_kernels() {
  static DispatchTable<AutoAugCutoutKernel> table("augment_autoaug_cutout");
  return table;
}

using namespace augment_frontend;

namespace raw {

Tensor autoaug_cutout_params(const Tensor& indices, const augment::SampleKey& key,
                             const augment::AutoAugCutoutConfig& cfg, int64_t height,
                             int64_t width) {
  const char* op = "autoaug_cutout_params";
  const Tensor idx = checked_indices(indices, op);
  check_padded_crop_config(cfg, op);
  check_crop_fits(height, width, cfg.padding, cfg.size, op);
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
  check_policy_view_size(cfg.size, op);
  const auto check_steps = [op](const augment::AutoAugCutoutParams& p, int64_t i) {
    for (int k = 0; k < 2; ++k) {
      BCL_CHECK(p.op[k] >= 0 && p.op[k] < augment::kNumPolicyOps && p.magnitude[k] >= 0 &&
                    p.magnitude[k] <= 9,
                op, ": params[", i, "] step ", k, " has op ", p.op[k], " and magnitude ",
                p.magnitude[k], " (expected an op in [0, ", augment::kNumPolicyOps,
                ") and a magnitude index in [0, 9])");
    }
  };
  return run_pixel_op<augment::AutoAugCutoutParams>(
      images, indices, params, augment::kAutoAugCutoutWords, cfg.size, op, check_steps,
      [&](const PixelOperands& o, Tensor& out) {
        autoaug_cutout_kernels().get(out.device(), DType::Float32)(
            images.bytes, o.geometry, o.indices, o.params, cfg, augment::policy_tables(cfg), norm,
            out);
      });
}

}  // namespace raw
}  // namespace bcl
