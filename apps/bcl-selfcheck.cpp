// bcl-selfcheck: the engine end to end on a task small enough to watch.
//
// Trains a 2-64-64-3 MLP with SGD on three interleaved spirals (a task a linear model cannot
// solve), printing the cross-entropy as it falls. Exits non-zero unless the final loss is below a
// quarter of the first and the training accuracy is above 90%: a broken kernel or gradient shows.
#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <vector>

#include "autograd/ops.h"
#include "tensor/random.h"

using namespace bcl;

namespace {

constexpr int64_t kClasses = 3, kPerClass = 200, kHidden = 64;

// Point j of class c lies on arm c of a spiral, with Gaussian noise.
void make_spirals(Tensor& x, Tensor& y, Generator& gen) {
  const int64_t n = kClasses * kPerClass;
  std::vector<double> xs(2 * n), ys(n);
  for (int64_t c = 0; c < kClasses; ++c) {
    for (int64_t j = 0; j < kPerClass; ++j) {
      const int64_t i = c * kPerClass + j;
      const double r = static_cast<double>(j) / kPerClass;
      const double noise = 0.2 * (gen.next_uniform() - 0.5);
      const double theta = 4.0 * r + 2.0 * M_PI * c / kClasses + noise;
      xs[2 * i] = r * std::cos(theta);
      xs[2 * i + 1] = r * std::sin(theta);
      ys[i] = static_cast<double>(c);
    }
  }
  x = from_vector(xs, {n, 2});
  y = from_vector(ys, {n}, DType::Int64);
}

struct Linear {
  Tensor weight, bias;
  Linear(int64_t in, int64_t out, Generator& gen) : weight(empty({out, in})), bias(zeros({out})) {
    raw::kaiming_normal_(weight, gen);
    weight.set_requires_grad(true);
    bias.set_requires_grad(true);
  }
  Tensor operator()(const Tensor& x) const { return linear(x, weight, bias); }
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"bcl-selfcheck: trains a small MLP on spirals and checks that the loss falls"};
  uint64_t seed = 0;
  app.add_option("--seed", seed, "the spirals' noise and the initial weights")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  Generator gen(seed);
  Tensor x, y;
  make_spirals(x, y, gen);
  Linear l1(2, kHidden, gen), l2(kHidden, kHidden, gen), l3(kHidden, kClasses, gen);
  std::vector<Tensor> params = {l1.weight, l1.bias, l2.weight, l2.bias, l3.weight, l3.bias};
  std::vector<Tensor> velocity;
  for (const Tensor& p : params) velocity.push_back(zeros(p.shape()));

  const double lr = 0.2, momentum = 0.9;
  const int steps = 400;
  double first = 0, last = 0;
  std::printf(
      "bcl-selfcheck: 2-%lld-%lld-%lld MLP on %lld spiral points, SGD lr %.2f momentum %.1f\n",
      (long long)kHidden, (long long)kHidden, (long long)kClasses,
      (long long)(kClasses * kPerClass), lr, momentum);
  for (int step = 0; step <= steps; ++step) {
    Tensor loss = cross_entropy(l3(relu(l2(relu(l1(x))))), y);
    backward(loss);
    {
      NoGradGuard no_grad;
      // Heavy-ball momentum: v = mu v + g; p -= lr v.
      for (size_t k = 0; k < params.size(); ++k) {
        raw::mul_(velocity[k], momentum);
        raw::add_(velocity[k], params[k].grad());
        raw::add_(params[k], velocity[k], -lr);
      }
      zero_grad(params);
    }
    last = loss.item();
    if (step == 0) first = last;
    if (step % 50 == 0) std::printf("step %4d  loss %.4f\n", step, last);
  }
  NoGradGuard no_grad;
  Tensor pred = raw::argmax(l3(relu(l2(relu(l1(x))))), 1);
  const double accuracy = raw::mean(raw::to_dtype(raw::eq(pred, y), DType::Float32)).item();
  std::printf("loss %.4f -> %.4f, training accuracy %.1f%%\n", first, last, 100 * accuracy);
  const bool ok = last < 0.25 * first && accuracy > 0.9;
  std::printf("%s\n", ok ? "self-check passed" : "self-check FAILED");
  return ok ? 0 : 1;
}
