#include "autograd/gradcheck.h"

#include <cmath>
#include <sstream>

#include "autograd/node.h"
#include "tensor/device.h"
#include "tensor/ops.h"
#include "tensor/random.h"

namespace bcl {

GradcheckResult gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& f,
                          const std::vector<Tensor>& inputs, const GradcheckOptions& opts) {
  bool any = false;
  for (const Tensor& x : inputs) {
    if (!x.defined() || !x.requires_grad()) continue;
    BCL_CHECK(x.dtype() == DType::Float64 && x.is_contiguous(),
              "gradcheck: inputs that require grad must be contiguous float64 tensors");
    x.impl()->grad.reset();
    any = true;
  }
  BCL_CHECK(any, "gradcheck: no input requires grad");

  // Analytic: backpropagate the weighting r, i.e. dL/dout for L = sum(out * r).
  Tensor out = f(inputs);
  BCL_CHECK(out.requires_grad(), "gradcheck: the output does not depend on any input");
  // Drawn on the CPU, so that the weighting is the same whatever device f runs on.
  Tensor r = empty(out.shape(), DType::Float64);
  Generator gen(opts.seed);
  raw::normal_(r, 0.0, 1.0, gen);
  backward(out, raw::to_device(r, out.device()));
  const std::vector<double> weights = r.to_vector();

  NoGradGuard no_grad;
  auto loss = [&] {
    std::vector<double> o = f(inputs).to_vector();
    double s = 0;
    for (size_t i = 0; i < o.size(); ++i) s += o[i] * weights[i];
    return s;
  };
  const double h = opts.eps;
  const double base = loss();
  GradcheckResult result;
  for (size_t k = 0; k < inputs.size(); ++k) {
    const Tensor& x = inputs[k];
    if (!x.defined() || !x.requires_grad()) continue;
    const std::vector<double> analytic =
        x.grad().defined() ? x.grad().to_vector() : std::vector<double>(x.numel(), 0.0);
    // On the CPU each element is written in place. On another device x's values are read once,
    // and each perturbed element is copied in alone, through a one-element view of x.
    const bool on_cpu = x.device() == Device::CPU;
    double* p = on_cpu ? x.data<double>() : nullptr;
    const std::vector<double> values = on_cpu ? std::vector<double>() : x.to_vector();
    for (int64_t i = 0; i < x.numel(); ++i) {
      const Tensor element = on_cpu ? Tensor() : make_view(x, {}, {}, x.offset() + i);
      auto set = [&](double v) {
        if (on_cpu) {
          p[i] = v;
        } else {
          copy_between_devices(element, scalar(v, DType::Float64));
        }
      };
      const double x0 = on_cpu ? p[i] : values[static_cast<size_t>(i)];
      set(x0 + h);
      const double plus = loss();
      set(x0 - h);
      const double minus = loss();
      set(x0);
      const double numeric = (plus - minus) / (2 * h);
      if (opts.skip_kinks) {
        const double forward = (plus - base) / h, backward_diff = (base - minus) / h;
        if (std::fabs(forward - backward_diff) >
            opts.kink_tol * std::max(1.0, std::fabs(numeric))) {
          ++result.skipped;
          continue;
        }
      }
      ++result.checked;
      const double err = std::fabs(analytic[i] - numeric);
      result.max_abs_error = std::max(result.max_abs_error, err);
      if (!(err <= opts.atol + opts.rtol * std::fabs(numeric)) && result.ok) {
        result.ok = false;
        std::ostringstream os;
        os << "gradcheck: input " << k << " (shape " << shape_str(x.shape()) << ") element " << i
           << ": analytic " << analytic[i] << " vs numeric " << numeric << " (|diff| " << err
           << " > atol " << opts.atol << " + rtol " << opts.rtol << " * |numeric|)";
        result.message = os.str();
      }
    }
  }
  if (result.checked == 0) {
    result.ok = false;
    result.message = "gradcheck: every element was skipped as a kink";
  }
  if (result.ok) {
    std::ostringstream os;
    os << "gradcheck: " << result.checked << " elements agree (max |diff| " << result.max_abs_error
       << "), " << result.skipped << " kinks skipped";
    result.message = os.str();
  }
  return result;
}

}  // namespace bcl
