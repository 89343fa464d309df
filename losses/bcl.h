// Balanced contrastive loss (Zhu et al., "Balanced Contrastive Learning for Long-Tailed Visual
// Recognition", CVPR 2022; the official code's BalSCL).
//
// A batch of B images gives 2B anchors z_i (unit vectors): view 1 of every image, then view 2
// (rows 0..B-1 are features[:, 0], rows B..2B-1 features[:, 1]). The contrast columns are these
// 2B views plus the C class prototypes c_j (class-complement: every class is present, through its
// prototype, even when no image of it is in the batch). For anchor i of class y_i, with B_j the
// class-j columns other than i itself (its views and its prototype) and T the temperature:
//
//   denominator_i = sum_j 1/|B_j| sum_{k in B_j} exp(z_i . z_k / T)       (class-averaging)
//   loss_i        = -1/|B_{y_i}| sum_{p in B_{y_i}} log( exp(z_i . z_p / T) / denominator_i )
//   loss          = mean over the 2B anchors of loss_i.
//
// So |B_j| = 2 (number of images of class j in the batch) + 1 for j != y_i, one less for y_i, and
// |B_j| = 1 for a class absent from the batch. Class-averaging gives every class the same total
// weight in the denominator, whatever its frequency in the batch, which is what keeps the head
// classes from dominating the gradient.
//
// Shapes: features [B, 2, D] and prototypes [C, D], floating point of one dtype and device,
// L2-normalised by the caller; labels [B] int64 in [0, C), on any device (their range is checked
// on the host, which waits for the GPU when they live there, unless gpu_value_checks() is off
// (tensor/value_checks.h); no mask is ever built: the fused
// kernel of tensor/kernels/contrastive.h reads the labels) -> scalar on the features' device.
// Differentiable with respect to the features and the prototypes.
#pragma once

#include "autograd/ops.h"

namespace bcl::losses {

Tensor bcl_loss(const Tensor& features, const Tensor& labels, const Tensor& prototypes,
                double temperature = 0.1);

}  // namespace bcl::losses
