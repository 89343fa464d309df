// Supervised contrastive loss, L^sup_out (Khosla et al., "Supervised Contrastive Learning",
// NeurIPS 2020; the official SupConLoss with contrast_mode='all').
//
// The N images of a batch each come in V augmented views z_{n,v} (unit vectors). All A = N V
// views are both anchors and the contrast set. For anchor i, with P(i) the other views that share
// its label (its own other views included) and T the temperature,
//
//   loss_i = -1/|P(i)| sum_{p in P(i)} log( exp(z_i . z_p / T) / sum_{a != i} exp(z_i . z_a / T) ),
//   loss   = mean of loss_i over the anchors with |P(i)| > 0.
//
// Anchors without a positive (V = 1 and a label alone in the batch) are left out of the mean; with
// V >= 2 every anchor has one. The official code instead counts them as 0 in the mean and scales
// by T / base_temperature (1 at its defaults); neither applies here.
//
// Shapes: features [N, V, D] floating point, L2-normalised along D by the caller
// (l2_normalize(x, 2)); labels [N] int64 (any values, equal means same class), on any device
// (read on the host only when V = 1, to count the anchors that have a positive) -> scalar on the
// features' device. Differentiable with respect to the features.
#pragma once

#include "autograd/ops.h"

namespace bcl::losses {

Tensor supcon_loss(const Tensor& features, const Tensor& labels, double temperature = 0.1);

}  // namespace bcl::losses
