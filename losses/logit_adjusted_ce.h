// Logit-adjusted cross-entropy: balanced softmax (Ren et al., "Balanced Meta-Softmax for
// Long-Tailed Visual Recognition", NeurIPS 2020) and its generalisation with a temperature tau
// (Menon et al., "Long-Tail Learning via Logit Adjustment", ICLR 2021).
//
// With class priors pi_c = n_c / sum_k n_k from the training counts n_c, the loss of a sample x
// with label y and logits f(x) is
//
//   L(x, y) = -log( exp(f_y + tau log pi_y) / sum_c exp(f_c + tau log pi_c) )
//           = -log( pi_y^tau exp(f_y) / sum_c pi_c^tau exp(f_c) ).
//
// Training this way makes f(x) estimate the class-balanced posterior: a frequent class must win by
// a margin of tau log(pi_y / pi_c) over a rare one, so argmax_c f_c (the offset dropped at test
// time) is no longer pulled towards the head classes. tau = 1 is balanced softmax, tau = 0 plain
// cross-entropy. The offset is a constant: only the logits are differentiated.
#pragma once

#include <cstdint>
#include <vector>

#include "autograd/ops.h"

namespace bcl::losses {

// [C] tensor of tau * log(n_c / sum_k n_k). Every count must be positive (a class with no training
// sample has no prior; the error names it); tau must be finite.
Tensor log_prior(const std::vector<int64_t>& class_counts, double tau, DType dtype = DType::Float32,
                 Device device = Device::CPU);

// Mean over the batch of the cross-entropy of (logits + log_prior_offset).
//   logits [N, C] floating point, labels [N] int64 in [0, C), log_prior_offset [C] (from
//   log_prior, same dtype and device as the logits) -> scalar.
Tensor logit_adjusted_cross_entropy(const Tensor& logits, const Tensor& labels,
                                    const Tensor& log_prior_offset);

}  // namespace bcl::losses
