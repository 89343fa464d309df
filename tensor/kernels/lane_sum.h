// The CPU kernels' one summation order for a row: sum_k f(k) for k in [0, n) in double, in
// reduce.cpp's run_sum order (8 interleaved partial sums, then added up). A fused kernel that sums
// this way equals raw::sum over a materialised f, which is what lets it replace the composition
// bit for bit (cross_entropy, l2_normalize, contrastive).
#pragma once

#include <cstdint>

namespace bcl {

template <class F>
double lane_sum(int64_t n, F f) {
  constexpr int64_t kLanes = 8;
  double lanes[kLanes] = {};
  int64_t k = 0;
  for (; k + kLanes <= n; k += kLanes) {
    for (int64_t l = 0; l < kLanes; ++l) lanes[l] += f(k + l);
  }
  for (; k < n; ++k) lanes[k % kLanes] += f(k);
  double total = 0;
  for (double lane : lanes) total += lane;
  return total;
}

}  // namespace bcl
