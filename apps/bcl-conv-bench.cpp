// bcl-conv-bench: times one convolution layer, forward and backward, on the CPU.
//
// A 3x3 convolution with padding 1 and stride 1 from C to C channels on [batch, C, size, size]
// float32 inputs (default: batch 128, 64 channels, 8x8, ResNet's last CIFAR stage). After warm-up
// runs it times `reps` forward passes and `reps` backward passes (input and weight gradients) and
// prints the mean milliseconds per pass as one JSON object.
#include <omp.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>

#include "tensor/ops.h"
#include "tensor/random.h"

using namespace bcl;

namespace {

// Mean wall-clock milliseconds of f over reps calls, after `warmup` untimed calls.
template <class F>
double time_ms(int warmup, int reps, F f) {
  for (int i = 0; i < warmup; ++i) f();
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < reps; ++i) f();
  const std::chrono::duration<double, std::milli> elapsed =
      std::chrono::steady_clock::now() - start;
  return elapsed.count() / reps;
}

}  // namespace

int main(int argc, char** argv) {
  int64_t batch = 128, channels = 64, size = 8;
  int reps = 10, warmup = 2;
  CLI::App app{"Times conv2d forward and backward (3x3, padding 1, stride 1, float32)."};
  app.add_option("--batch", batch, "images per batch")->check(CLI::PositiveNumber);
  app.add_option("--channels", channels, "input and output channels")->check(CLI::PositiveNumber);
  app.add_option("--size", size, "height and width of the images")->check(CLI::PositiveNumber);
  app.add_option("--reps", reps, "timed repetitions")->check(CLI::PositiveNumber);
  app.add_option("--warmup", warmup, "untimed repetitions first")->check(CLI::NonNegativeNumber);
  CLI11_PARSE(app, argc, argv);

  Generator gen(0);
  Tensor x = empty({batch, channels, size, size});
  Tensor w = empty({channels, channels, 3, 3});
  raw::normal_(x, 0.0, 1.0, gen);
  raw::kaiming_normal_(w, gen);
  raw::Conv2dParams p;
  p.pad_h = p.pad_w = 1;
  const Tensor grad_out = raw::conv2d(x, w, Tensor(), p);  // any tensor of the output's shape

  const double ms_forward = time_ms(warmup, reps, [&] { raw::conv2d(x, w, Tensor(), p); });
  const double ms_backward = time_ms(warmup, reps, [&] {
    raw::conv2d_backward_input(grad_out, w, x.shape(), p);
    raw::conv2d_backward_weight(grad_out, x, w.shape(), p);
  });
  std::printf(
      "{\"op\":\"conv2d\",\"batch\":%lld,\"channels\":%lld,\"size\":%lld,\"kernel\":3,"
      "\"dtype\":\"float32\",\"reps\":%d,\"ms_forward\":%.3f,\"ms_backward\":%.3f,"
      "\"ms_total\":%.3f,\"threads\":%d}\n",
      static_cast<long long>(batch), static_cast<long long>(channels), static_cast<long long>(size),
      reps, ms_forward, ms_backward, ms_forward + ms_backward, omp_get_max_threads());
  return 0;
}
