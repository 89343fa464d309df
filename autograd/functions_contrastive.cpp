// Differentiable per-anchor losses of the supervised contrastive objectives (SupCon, BCL), one
// fused kernel each way (raw::contrastive_forward / contrastive_backward).
#include "autograd/ops.h"

namespace bcl {

Tensor contrastive_anchor_losses(const Tensor& logits, const Tensor& labels, int64_t num_classes) {
  raw::ContrastiveParts parts = raw::contrastive_forward(logits, labels, num_classes);
  Tensor loss = parts.loss;
  // The backward reads the other parts only; keeping the output would be a reference cycle (the
  // output owns the node that owns the closure).
  parts.loss = Tensor();
  // With the max m_i cancelling (it is a constant shift of every L_ik in the row),
  //   loss_i = log sum_{k != i} w_ik exp(L_ik) - 1/|P(i)| sum_{p in P(i)} L_ip,
  // so for k != i
  //   dloss_i/dL_ik = w_ik exp(L_ik) / sum_{k' != i} w_ik' exp(L_ik') - [k in P(i)] / |P(i)|
  //                 = w_ik exp((L_ik - m_i) - log_denom_i) - [k in P(i)] / |P(i)|,
  // and 0 for k = i (not in the sum) and on the rows without a positive (their loss is the
  // constant 0). loss_i depends on row i only, so dL/dL_ik = g_i dloss_i/dL_ik. The labels (and
  // the weights, functions of the labels) are not differentiated.
  return record("contrastive_anchor_losses", loss, {logits},
                [logits = detach(logits), labels, parts](const Tensor& g) -> std::vector<Tensor> {
                  return {raw::contrastive_backward(g, logits, labels, parts)};
                });
}

}  // namespace bcl
