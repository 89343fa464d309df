#include "nn/optim.h"

#include "autograd/node.h"
#include "tensor/ops.h"

namespace bcl::nn {
namespace {
const std::string kMomentumPrefix = "momentum.";
}

SGD::SGD(NamedTensors params, const SGDOptions& options)
    : params_(std::move(params)), options_(options) {
  BCL_CHECK(options.lr >= 0 && options.momentum >= 0 && options.weight_decay >= 0,
            "SGD: lr, momentum and weight_decay must be >= 0, got ", options.lr, ", ",
            options.momentum, ", ", options.weight_decay);
  BCL_CHECK(!options.nesterov || options.momentum > 0, "SGD: nesterov needs momentum > 0");
  std::map<std::string, bool> seen;
  for (const auto& [name, p] : params_) {
    BCL_CHECK(p.defined() && is_floating(p.dtype()), "SGD: parameter ", name,
              " is undefined or not floating point");
    BCL_CHECK(!seen[name], "SGD: parameter name ", name, " appears twice");
    seen[name] = true;
  }
}

void SGD::step() {
  NoGradGuard no_grad;
  const double mu = options_.momentum;
  for (const auto& [name, p] : params_) {
    const Tensor grad = p.grad();
    if (!grad.defined()) continue;
    auto it = momentum_.find(name);
    const bool first_step = it == momentum_.end();
    // The fused kernel updates p (and buf) in place, so both must be contiguous; any layout of
    // the gradient will do (the front-end reads a contiguous copy).
    const bool fused = p.is_contiguous() && grad.shape() == p.shape() &&
                       grad.dtype() == p.dtype() && grad.device() == p.device() &&
                       (mu == 0 || first_step || it->second.is_contiguous());
    if (fused) {
      Tensor buf;
      if (mu != 0) buf = first_step ? empty(p.shape(), p.dtype(), p.device()) : it->second;
      raw::sgd_step_(p, grad, buf,
                     {options_.lr, mu, options_.weight_decay, options_.nesterov, first_step});
      // Kept only once written: a step that threw leaves no uninitialised buffer behind.
      if (mu != 0 && first_step) momentum_.emplace(name, buf);
      continue;
    }
    // The same update as raw ops, one pass each (the fused kernel rounds every step as these do).
    Tensor d = grad;  // becomes g', then the step direction
    if (options_.weight_decay != 0) {
      d = raw::clone(grad);
      raw::add_(d, p, options_.weight_decay);
    }
    if (mu != 0) {
      if (first_step) {
        it = momentum_.emplace(name, raw::clone(d)).first;
      } else {
        raw::mul_(it->second, mu);
        raw::add_(it->second, d);
      }
      const Tensor& buf = it->second;
      if (options_.nesterov) {
        if (d.same(grad)) d = raw::clone(grad);  // never write into the gradient itself
        raw::add_(d, buf, mu);
      } else {
        d = buf;
      }
    }
    raw::add_(p, d, -options_.lr);
  }
}

void SGD::zero_grad() {
  for (auto& [name, p] : params_) p.set_grad(Tensor());
}

std::map<std::string, Tensor> SGD::state_dict() const {
  std::map<std::string, Tensor> out;
  for (const auto& [name, buf] : momentum_) out.emplace(kMomentumPrefix + name, buf);
  return out;
}

void SGD::load_state_dict(const std::map<std::string, Tensor>& state) {
  std::map<std::string, Tensor> loaded;
  for (const auto& [key, value] : state) {
    BCL_CHECK(key.rfind(kMomentumPrefix, 0) == 0, "SGD::load_state_dict: unexpected key ", key,
              " (expected momentum.<parameter name>)");
    const std::string name = key.substr(kMomentumPrefix.size());
    const Tensor* param = nullptr;
    for (const auto& [n, p] : params_) {
      if (n == name) param = &p;
    }
    BCL_CHECK(param != nullptr, "SGD::load_state_dict: ", key, " names no parameter");
    BCL_CHECK(value.defined() && value.shape() == param->shape() && value.dtype() == param->dtype(),
              "SGD::load_state_dict: ", key, " has shape ",
              value.defined() ? shape_str(value.shape()) : "undefined", " and dtype ",
              value.defined() ? dtype_name(value.dtype()) : "-", ", the parameter ",
              shape_str(param->shape()), " and ", dtype_name(param->dtype()));
    // Buffers live beside their parameter (the file's copy is on the CPU).
    Tensor buf = empty(param->shape(), param->dtype(), param->device());
    raw::copy_(buf, value);
    loaded.emplace(name, buf);
  }
  momentum_ = std::move(loaded);
}

}  // namespace bcl::nn
