// Gradient checking by central finite differences, in float64.
//
// For a function f of tensors, gradcheck compares the gradients from backward() with
//   dL/dx_i ~ (L(x + h e_i) - L(x - h e_i)) / 2h,   L = sum(f(x) * r),
// where r is a fixed random weighting (so every output element matters with a distinct weight).
// An element passes when |analytic - numeric| <= atol + rtol * |numeric|.
//
// Kinks (ReLU at 0, max ties, clamp bounds) have no derivative. With skip_kinks, an element whose
// one-sided differences (L(x+h)-L(x))/h and (L(x)-L(x-h))/h disagree by more than kink_tol is
// skipped and counted: a smooth function's two sides differ by about h * |f''|, far below kink_tol.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "tensor/tensor.h"

namespace bcl {

struct GradcheckOptions {
  double eps = 1e-6;
  double atol = 1e-6;
  double rtol = 1e-5;
  bool skip_kinks = true;
  double kink_tol = 1e-3;
  uint64_t seed = 1234;
};

struct GradcheckResult {
  bool ok = true;
  int64_t checked = 0;
  int64_t skipped = 0;  // kinks
  double max_abs_error = 0;
  std::string message;  // the first failing element, or a summary
};

// inputs: float64 tensors; those with requires_grad are checked, and must be contiguous. They may
// live on any device (f then runs there): the weighting r is drawn on the CPU, and the elements
// are perturbed one at a time by small copies, so a CUDA check is slow but needs no extra kernels.
GradcheckResult gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& f,
                          const std::vector<Tensor>& inputs, const GradcheckOptions& opts = {});

}  // namespace bcl
