// What the contrastive losses (supcon.h, bcl.h) share: argument checks, the view-major flattening
// of multi-view features, and the composition the losses were built from before the fused kernels
// (masks, then autograd ops), kept as the tests' oracle. Internal to losses/.
#pragma once

#include <cstdint>

#include "autograd/ops.h"

namespace bcl::losses::detail {

// Throws unless temperature is finite and > 0.
void check_temperature(const char* op, double temperature);

// Throws unless features is a floating-point [N, V, D] tensor with N, D > 0 and V == views (any
// V >= 1 when views is 0).
void check_features(const char* op, const Tensor& features, int64_t views);

// Throws unless labels is int64 of shape [n]; when num_classes > 0, also unless every label lies
// in [0, num_classes) (the message gives the first that does not). The values are read on the
// host: for labels on the GPU, a copy that waits for the stream, made only while
// gpu_value_checks() is on (tensor/value_checks.h).
void check_labels(const char* op, const Tensor& labels, int64_t n, int64_t num_classes);

// [N, V, D] -> [V N, D], view-major: row v N + n is features[n, v] (torch.cat(torch.unbind(f, 1))).
Tensor views_to_rows(const Tensor& features);

// labels [N] int64 -> [V N] int64 on the CPU, in views_to_rows' order.
Tensor repeat_labels(const Tensor& labels, int64_t views);

// The losses' composition before the fused op (autograd's contrastive_anchor_losses): masks and
// weights [M, K] built on the host from the labels, then a dozen autograd ops. Slower, but plain
// and independent of the fused kernels, so the tests keep it as their oracle, as the *_reference
// kernels of tensor/ are for matmul and conv2d. Same arguments and results as supcon_loss and
// bcl_loss, whose checks they skip (the argument errors are the public losses' to report).
Tensor supcon_loss_composed(const Tensor& features, const Tensor& labels, double temperature);
Tensor bcl_loss_composed(const Tensor& features, const Tensor& labels, const Tensor& prototypes,
                         double temperature);

// The per-anchor loss of a contrastive objective, [M], as the composition computes it. With
// S = logits [M, K] (S_ik = z_i . c_k / T), `self` [M, K] 1 where column k is anchor i itself,
// `positive` [M, K] 0/1 (never on self) and `weight` [M, K] > 0 (undefined: all 1),
//
//   loss_i = -1/|P(i)| sum_{p in P(i)} log( exp(S_ip) / sum_{k != i} w_ik exp(S_ik) ),
//
// computed as log sum_{k != i} w_ik exp(S_ik - m_i) - 1/|P(i)| sum_p (S_ip - m_i), where
// m_i = max_{k != i} S_ik is a constant (it cancels, so it needs no gradient). Taking the max
// without the self column keeps the largest term of the sum at w exp(0), so the log never sees 0
// even when the self-similarity 1/T dwarfs all others (small T, float32), and the self column
// enters exp() as -inf, never as an overflowing exp(S_ii - m_i). Anchors with no positive get
// loss log(denominator); callers mask them. Masks and weights are constants on logits' device.
// The fused kernels (tensor/kernels/contrastive.*) take the max the same way, for the same reasons.
Tensor anchor_losses_from_masks(const Tensor& logits, const Tensor& self, const Tensor& positive,
                                const Tensor& weight);

}  // namespace bcl::losses::detail
