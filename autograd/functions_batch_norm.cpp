// Differentiable batch normalisation.
#include "autograd/ops.h"

namespace bcl {
namespace {

// [1, C, 1, ...]: a per-channel [C] tensor broadcast against x of `ndim` dims.
Shape channel_shape(int64_t c, int64_t ndim) {
  Shape shape(ndim, 1);
  shape[1] = c;
  return shape;
}

// Every dim of an [N, C, *] tensor except the channel dim: the dims the statistics reduce over.
std::vector<int64_t> non_channel_dims(int64_t ndim) {
  std::vector<int64_t> dims{0};
  for (int64_t d = 2; d < ndim; ++d) dims.push_back(d);
  return dims;
}

Tensor batch_norm_training(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                           const Tensor& running_mean, const Tensor& running_var, double momentum,
                           double eps) {
  raw::BatchNormOutput r =
      raw::batch_norm_train(x, gamma, beta, running_mean, running_var, momentum, eps);
  const bool grad_gamma = needs_grad({gamma}), grad_beta = needs_grad({beta});
  // With xh = (x - mean) invstd and M = N * prod(*) values per channel (mean and invstd depend on
  // x too, hence the two correction terms):
  //   dx = gamma invstd / M (M g - sum g - xh sum(g xh)),  dgamma = sum(g xh),  dbeta = sum g.
  return record("batch_norm", r.out, {x, gamma, beta},
                [x, gamma, mean = r.save_mean, invstd = r.save_invstd, grad_gamma,
                 grad_beta](const Tensor& g) -> std::vector<Tensor> {
                  raw::BatchNormGrads d = raw::batch_norm_backward(g, x, gamma, mean, invstd);
                  return {d.grad_input, grad_gamma ? d.grad_gamma : Tensor(),
                          grad_beta ? d.grad_beta : Tensor()};
                });
}

Tensor batch_norm_inference(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                            const Tensor& running_mean, const Tensor& running_var, double eps) {
  Tensor out = raw::batch_norm_eval(x, gamma, beta, running_mean, running_var, eps);
  // Copies of the statistics the forward used: a later training step updates the running ones in
  // place.
  Tensor mean = raw::clone(running_mean);
  Tensor invstd = raw::rsqrt(raw::add_scalar(running_var, eps));
  const bool grad_gamma = needs_grad({gamma}), grad_beta = needs_grad({beta});
  // With fixed statistics the op is affine per channel: y = gamma xh + beta with
  // xh = (x - running_mean) invstd, invstd = 1 / sqrt(running_var + eps). So
  //   dx = g gamma invstd,  dgamma = sum(g xh),  dbeta = sum g,
  // the sums running over every dim but the channel's.
  return record(
      "batch_norm_eval", out, {x, gamma, beta},
      [x, gamma, mean, invstd, grad_gamma, grad_beta](const Tensor& g) -> std::vector<Tensor> {
        const Shape per_channel = channel_shape(x.size(1), x.dim());
        const std::vector<int64_t> dims = non_channel_dims(x.dim());
        Tensor scale = gamma.defined() ? raw::mul(gamma, invstd) : invstd;
        Tensor dx = raw::mul(g, raw::reshape(scale, per_channel));
        Tensor dgamma, dbeta;
        if (grad_gamma) {
          Tensor xh = raw::mul(raw::sub(x, raw::reshape(mean, per_channel)),
                               raw::reshape(invstd, per_channel));
          dgamma = raw::sum(raw::mul(g, xh), dims);
        }
        if (grad_beta) dbeta = raw::sum(g, dims);
        return {dx, dgamma, dbeta};
      });
}

}  // namespace

Tensor batch_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                  const Tensor& running_mean, const Tensor& running_var, bool training,
                  double momentum, double eps) {
  if (training) {
    return batch_norm_training(x, gamma, beta, running_mean, running_var, momentum, eps);
  }
  return batch_norm_inference(x, gamma, beta, running_mean, running_var, eps);
}

}  // namespace bcl
