#include "losses/objective.h"

#include "autograd/ops.h"
#include "losses/bcl.h"
#include "losses/logit_adjusted_ce.h"
#include "losses/supcon.h"

namespace bcl::losses {

Objective::Objective(const ObjectiveOptions& options, const std::vector<int64_t>& class_counts)
    : o_(options) {
  BCL_CHECK(o_.method == "ce" || o_.method == "bs" || contrastive(), "unknown method '", o_.method,
            "' (ce, bs, scl or bcl)");
  if (o_.method != "ce")
    log_prior_ = losses::log_prior(class_counts, o_.la_tau, DType::Float32, o_.device);
}

Objective::Outputs Objective::forward(nn::BCLModel& model, const std::vector<Tensor>& batch) const {
  BCL_CHECK(static_cast<int>(batch.size()) >= views(), o_.method, " needs ", views(),
            " views per image, the batch has ", batch.size());
  Outputs out;
  if (!contrastive()) {
    out.logits = model.forward(batch[0]);
    return out;
  }
  const int64_t b = batch[0].size(0);
  const nn::BCLOutput all = model.forward_all(concat({batch[0], batch[1], batch[2]}, 0));
  out.logits = narrow(all.logits, 0, 0, b);
  // [B, D] twice -> [B, 2, D]: image i's two contrastive views side by side.
  out.features = concat({unsqueeze(narrow(all.projections, 0, b, b), 1),
                         unsqueeze(narrow(all.projections, 0, 2 * b, b), 1)},
                        1);
  out.prototypes = all.prototypes;
  return out;
}

Objective::Terms Objective::loss(const Outputs& out, const Tensor& labels) const {
  Terms t;
  // Made on options.device; a model elsewhere gets a copy (raw::to_device: none when it is there).
  const Tensor prior =
      log_prior_.defined() ? raw::to_device(log_prior_, out.logits.device()) : Tensor();
  t.ce = prior.defined() ? losses::logit_adjusted_cross_entropy(out.logits, labels, prior)
                         : cross_entropy(out.logits, labels);
  if (!contrastive()) {
    t.total = t.ce;
    return t;
  }
  t.contrastive = o_.method == "bcl"
                      ? losses::bcl_loss(out.features, labels, out.prototypes, o_.temperature)
                      : losses::supcon_loss(out.features, labels, o_.temperature);
  t.total = add(mul(t.ce, o_.alpha), mul(t.contrastive, o_.beta));
  return t;
}

}  // namespace bcl::losses
