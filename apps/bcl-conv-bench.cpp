// bcl-conv-bench: times one convolution layer, forward and backward, on the CPU.
//
// A 3x3 convolution with padding 1 from C_in to C channels on [batch, C_in, size, size] float32
// inputs (default: batch 128, 64 -> 64 channels, 8x8, stride 1: ResNet's last CIFAR stage). After
// warm-up runs it times `reps` forward passes and `reps` backward passes (input and weight
// gradients) and prints one JSON object: mean milliseconds per pass, wall-clock and CPU time of the
// process, and GFLOP/s. A forward pass is 2*N*O*C*9*Ho*Wo flops, a backward pass twice that. On a
// shared machine the wall clock includes the time other processes held the cores; cpu_ms does not
// (but counts every thread's time, including OpenMP threads spinning at a barrier).
#include <omp.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>

#include "tensor/ops.h"
#include "tensor/random.h"
#include "train/flags.h"

using namespace bcl;

namespace {

struct Timing {
  double wall_ms = 0, cpu_ms = 0;  // per call
};

double cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

// Mean milliseconds of f over reps calls, after `warmup` untimed calls.
template <class F>
Timing time_ms(int warmup, int reps, F f) {
  for (int i = 0; i < warmup; ++i) f();
  const double cpu_start = cpu_seconds();
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < reps; ++i) f();
  const std::chrono::duration<double, std::milli> elapsed =
      std::chrono::steady_clock::now() - start;
  return {elapsed.count() / reps, 1e3 * (cpu_seconds() - cpu_start) / reps};
}

}  // namespace

int main(int argc, char** argv) {
  int64_t batch = 128, channels = 64, in_channels = 0, size = 8, stride = 1;
  int reps = 10, warmup = 2;
  CLI::App app{"Times conv2d forward and backward (3x3, padding 1, float32)."};
  app.add_option("--batch-size", batch, "images per batch")->check(CLI::PositiveNumber);
  train::add_old_spelling(app, "--batch", batch, "--batch-size");
  app.add_option("--channels", channels, "output channels (and input channels by default)")
      ->check(CLI::PositiveNumber);
  app.add_option("--in-channels", in_channels, "input channels (default: --channels)")
      ->check(CLI::PositiveNumber);
  app.add_option("--image-size", size, "height and width of the input images")
      ->check(CLI::PositiveNumber);
  train::add_old_spelling(app, "--size", size, "--image-size");
  app.add_option("--stride", stride, "stride of the convolution")->check(CLI::PositiveNumber);
  app.add_option("--reps", reps, "timed repetitions")->check(CLI::PositiveNumber);
  app.add_option("--warmup", warmup, "untimed repetitions first")->check(CLI::NonNegativeNumber);
  CLI11_PARSE(app, argc, argv);
  if (in_channels == 0) in_channels = channels;

  Generator gen(0);
  Tensor x = empty({batch, in_channels, size, size});
  Tensor w = empty({channels, in_channels, 3, 3});
  raw::normal_(x, 0.0, 1.0, gen);
  raw::kaiming_normal_(w, gen);
  raw::Conv2dParams p;
  p.pad_h = p.pad_w = 1;
  p.stride_h = p.stride_w = stride;
  const Tensor grad_out = raw::conv2d(x, w, Tensor(), p);  // any tensor of the output's shape

  const Timing forward = time_ms(warmup, reps, [&] { raw::conv2d(x, w, Tensor(), p); });
  const Timing backward = time_ms(warmup, reps, [&] {
    raw::conv2d_backward_input(grad_out, w, x.shape(), p);
    raw::conv2d_backward_weight(grad_out, x, w.shape(), p);
  });
  const double out_size = static_cast<double>(grad_out.size(2));
  const double gflop_forward =
      2e-9 * static_cast<double>(batch * channels * in_channels) * 9.0 * out_size * out_size;
  std::printf(
      "{\"op\":\"conv2d\",\"batch\":%lld,\"in_channels\":%lld,\"channels\":%lld,\"size\":%lld,"
      "\"stride\":%lld,\"kernel\":3,\"dtype\":\"float32\",\"reps\":%d,\"threads\":%d,"
      "\"ms_forward\":%.3f,\"ms_backward\":%.3f,\"ms_total\":%.3f,"
      "\"cpu_ms_forward\":%.3f,\"cpu_ms_backward\":%.3f,"
      "\"gflops_forward\":%.1f,\"gflops_backward\":%.1f}\n",
      static_cast<long long>(batch), static_cast<long long>(in_channels),
      static_cast<long long>(channels), static_cast<long long>(size),
      static_cast<long long>(stride), reps, omp_get_max_threads(), forward.wall_ms,
      backward.wall_ms, forward.wall_ms + backward.wall_ms, forward.cpu_ms, backward.cpu_ms,
      gflop_forward / forward.wall_ms * 1e3, 2 * gflop_forward / backward.wall_ms * 1e3);
  return 0;
}
