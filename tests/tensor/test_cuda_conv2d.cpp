// CUDA convolution (cuDNN, tensor/kernels/conv2d.cu) against the CPU kernels on the same values:
// the forward with and without bias and both backward products, in float32, float64 and bfloat16,
// through the raw ops; then the direct kernels cuDNN falls back to, and the algorithm cache.
#include <string>

#include "tensor/kernels/conv2d_cuda.h"
#include "tests/tensor/cuda_test_util.h"

using namespace bcl;
using bcl::test::check_cuda_matches;
using bcl::test::skip_without_gpu;
using bcl::test::to_cuda;
using raw::Conv2dParams;

namespace {

// Inputs are N(0, 1). The longest sums here are the weight gradients' N * Ho * Wo <= 768 products
// (sums of size ~30), which the CPU's float32 kernels get within 4e-5 of exact (test_conv2d.cpp);
// cuDNN's GEMM-like algorithms in FMA math round alike, so two such results differ by < 1e-4, and
// 2e-4 absolute plus 2e-4 relative leaves a margin. TF32 (~1e-3 relative) or a wrong tap would
// fail it. Float64: the same sums are off by ~1e-13.
constexpr double kF32Tol = 2e-4;
constexpr double kF64Tol = 1e-10;
// bfloat16 (tensor/kernels/conv2d_bf16.cpp): both devices round a float32 sum of the same exact
// products to bf16. Sums that differ by float32 noise can round to neighbouring values, one
// step apart: 2^-7 of the value at most (the spacing just above a power of two).
constexpr double kBF16Rtol = 0x1p-7;

double atol(DType dtype) {
  return dtype == DType::Float64 ? kF64Tol : kF32Tol;
}
double rtol(DType dtype) {
  return dtype == DType::Float64 ? kF64Tol : dtype == DType::BFloat16 ? kBF16Rtol : kF32Tol;
}

// N(0, 1) values in dtype (bfloat16 ones drawn in float32 and rounded: bf16 has no kernels but
// the convolution's and the conversions).
Tensor randn_as(const Shape& shape, uint64_t seed, DType dtype) {
  if (dtype != DType::BFloat16) return test::randn(shape, seed, dtype);
  return raw::to_dtype(test::randn(shape, seed, DType::Float32), DType::BFloat16);
}

Conv2dParams conv(int64_t stride_h, int64_t stride_w, int64_t pad_h, int64_t pad_w,
                  int64_t groups = 1) {
  Conv2dParams p;
  p.stride_h = stride_h;
  p.stride_w = stride_w;
  p.pad_h = pad_h;
  p.pad_w = pad_w;
  p.groups = groups;
  return p;
}

struct ConvCase {
  std::string name;
  Shape x, w;
  Conv2dParams p;
  bool bias;
};

std::vector<ConvCase> conv_cases() {
  return {
      {"1x1", {2, 8, 5, 5}, {6, 8, 1, 1}, conv(1, 1, 0, 0), false},
      {"1x1 stride 2 (ResNet downsample)", {2, 8, 7, 7}, {16, 8, 1, 1}, conv(2, 2, 0, 0), false},
      {"3x3 padding 1, bias", {2, 3, 9, 11}, {5, 3, 3, 3}, conv(1, 1, 1, 1), true},
      {"3x3 padding 0", {2, 3, 7, 6}, {4, 3, 3, 3}, conv(1, 1, 0, 0), false},
      {"3x3 stride 2 padding 1, odd size, bias",
       {3, 4, 13, 13},
       {8, 4, 3, 3},
       conv(2, 2, 1, 1),
       true},
      {"3x3 stride 2 padding 0", {2, 4, 12, 10}, {6, 4, 3, 3}, conv(2, 2, 0, 0), false},
      {"ResNeXt 3x3, 8 groups of 4", {2, 32, 8, 8}, {32, 4, 3, 3}, conv(1, 1, 1, 1, 8), false},
      {"grouped 3x3 stride 2, 8 groups of 2",
       {2, 16, 9, 9},
       {16, 2, 3, 3},
       conv(2, 2, 1, 1, 8),
       false},
      {"grouped, 3 groups, O != C, bias", {2, 6, 7, 7}, {9, 2, 3, 3}, conv(1, 1, 1, 1, 3), true},
      {"depthwise", {2, 6, 7, 7}, {6, 1, 3, 3}, conv(1, 1, 1, 1, 6), false},
      {"batch 1, stride 2, bias", {1, 3, 17, 17}, {7, 3, 3, 3}, conv(2, 2, 1, 1), true},
      {"7x7 stride 2 padding 3 (ResNet stem)",
       {1, 3, 32, 32},
       {8, 3, 7, 7},
       conv(2, 2, 3, 3),
       false},
      {"non-square kernel, mixed stride and padding",
       {2, 3, 5, 8},
       {2, 3, 3, 2},
       conv(2, 1, 1, 0),
       false},
      {"16 channels, 16x16", {3, 16, 16, 16}, {8, 16, 3, 3}, conv(1, 1, 1, 1), false},
      {"kernel covers the input", {2, 3, 4, 4}, {5, 3, 4, 4}, conv(1, 1, 0, 0), false},
      {"1x1 images, bias", {4, 5, 1, 1}, {3, 5, 1, 1}, conv(1, 1, 0, 0), true},
  };
}

// Runs the three products on both devices from the same values and compares them; `tag` tells
// the paths apart in the device report.
void check_conv_case(const ConvCase& c, DType dtype, uint64_t seed, const std::string& tag) {
  CAPTURE(c.name);
  CAPTURE(dtype_name(dtype));
  const Tensor x = randn_as(c.x, seed, dtype), w = randn_as(c.w, seed + 1, dtype);
  const Tensor bias = c.bias ? randn_as({c.w[0]}, seed + 2, dtype) : Tensor();
  const Tensor xg = to_cuda(x), wg = to_cuda(w);

  const Tensor y = raw::conv2d(x, w, bias, c.p);
  const Tensor yg = raw::conv2d(xg, wg, c.bias ? to_cuda(bias) : Tensor(), c.p);
  CHECK(yg.shape() == y.shape());
  CHECK(yg.dtype() == dtype);
  check_cuda_matches("conv2d" + tag, yg, y, atol(dtype), rtol(dtype));

  const Tensor dy = randn_as(y.shape(), seed + 3, dtype), dyg = to_cuda(dy);
  check_cuda_matches("conv2d_backward_input" + tag, raw::conv2d_backward_input(dyg, wg, c.x, c.p),
                     raw::conv2d_backward_input(dy, w, c.x, c.p), atol(dtype), rtol(dtype));
  check_cuda_matches("conv2d_backward_weight" + tag, raw::conv2d_backward_weight(dyg, xg, c.w, c.p),
                     raw::conv2d_backward_weight(dy, x, c.w, c.p), atol(dtype), rtol(dtype));
}

#ifdef BCL_CUDA
// Sends every pass to the direct kernels for its lifetime.
struct ForceDirect {
  ForceDirect() { cuda::conv_force_direct(true); }
  ~ForceDirect() { cuda::conv_force_direct(false); }
  ForceDirect(const ForceDirect&) = delete;
  ForceDirect& operator=(const ForceDirect&) = delete;
};
#endif

}  // namespace

TEST_CASE("cuda/conv2d_matches_cpu") {
  if (skip_without_gpu()) return;
#ifdef BCL_CUDA
  const int64_t direct_before = cuda::conv_direct_calls();
#endif
  uint64_t seed = 300;
  for (DType dtype : {DType::Float32, DType::Float64, DType::BFloat16}) {
    for (const ConvCase& c : conv_cases()) check_conv_case(c, dtype, seed += 4, "");
  }
#ifdef BCL_CUDA
  // Correct either way; says how often cuDNN declined (float64 support varies by version).
  MESSAGE("conv2d: ", cuda::conv_direct_calls() - direct_before,
          " passes ran the direct kernel instead of cuDNN");
#endif
}

TEST_CASE("cuda/conv2d_direct_kernels_match_cpu") {
  if (skip_without_gpu()) return;
#ifdef BCL_CUDA
  // The kernels cuDNN falls back to, checked on every case. They sum in double, so their float32
  // results are closer to exact than the CPU's; the CPU's error alone is within the tolerance.
  ForceDirect force;
  const int64_t before = cuda::conv_direct_calls();
  uint64_t seed = 500;
  for (DType dtype : {DType::Float32, DType::Float64, DType::BFloat16}) {
    for (const ConvCase& c : conv_cases()) check_conv_case(c, dtype, seed += 4, " (direct)");
  }
  CHECK(cuda::conv_direct_calls() - before == 3 * 3 * static_cast<int64_t>(conv_cases().size()));
#endif
}

TEST_CASE("cuda/conv2d_non_contiguous_operands") {
  if (skip_without_gpu()) return;
  // The front-end lays out a transposed input and gradient before the kernels see them.
  for (DType dtype : {DType::Float32, DType::Float64}) {
    CAPTURE(dtype_name(dtype));
    const Conv2dParams p = conv(1, 1, 1, 1);
    const Tensor x_base =
        test::randn({2, 3, 11, 9}, 41, dtype);  // x is its [2, 3, 9, 11] transpose
    const Tensor w = test::randn({4, 3, 3, 3}, 42, dtype);
    const Tensor dy_base = test::randn({2, 4, 11, 9}, 43, dtype);
    const Tensor x = raw::transpose(x_base, 2, 3), dy = raw::transpose(dy_base, 2, 3);
    const Tensor xg = raw::transpose(to_cuda(x_base), 2, 3);
    const Tensor dyg = raw::transpose(to_cuda(dy_base), 2, 3);
    REQUIRE_FALSE(xg.is_contiguous());
    const Tensor wg = to_cuda(w);
    check_cuda_matches("conv2d", raw::conv2d(xg, wg, Tensor(), p), raw::conv2d(x, w, Tensor(), p),
                       atol(dtype), rtol(dtype));
    check_cuda_matches("conv2d_backward_input", raw::conv2d_backward_input(dyg, wg, x.shape(), p),
                       raw::conv2d_backward_input(dy, w, x.shape(), p), atol(dtype), rtol(dtype));
    check_cuda_matches("conv2d_backward_weight", raw::conv2d_backward_weight(dyg, xg, w.shape(), p),
                       raw::conv2d_backward_weight(dy, x, w.shape(), p), atol(dtype), rtol(dtype));
  }
}

TEST_CASE("cuda/conv2d_empty_batch") {
  if (skip_without_gpu()) return;
  // No images: the front-end answers without a kernel, with a zero weight gradient.
  const Conv2dParams p = conv(1, 1, 1, 1);
  const Tensor x = zeros({0, 3, 5, 5}, DType::Float32, Device::CUDA);
  const Tensor w = to_cuda(test::randn({4, 3, 3, 3}, 51, DType::Float32));
  const Tensor y = raw::conv2d(x, w, Tensor(), p);
  CHECK(y.device() == Device::CUDA);
  CHECK(y.shape() == Shape{0, 4, 5, 5});
  CHECK(raw::conv2d_backward_input(y, w, x.shape(), p).shape() == x.shape());
  const Tensor gw = raw::conv2d_backward_weight(y, x, w.shape(), p);
  CHECK(gw.shape() == w.shape());
  CHECK(gw.to_vector() == std::vector<double>(w.numel(), 0.0));
}

TEST_CASE("cuda/conv2d_algorithm_cache") {
  if (skip_without_gpu()) return;
#ifdef BCL_CUDA
  using cuda::ConvPass;
  // A geometry no other case uses, so its plans are made here.
  const Shape xs{2, 5, 11, 11}, ws{7, 5, 3, 3};
  const Conv2dParams p = conv(1, 1, 1, 1);
  const size_t before = cuda::conv_algo_cache_size();
  const int64_t direct_before = cuda::conv_direct_calls();
  const auto algo = [&](ConvPass pass, DType dtype) {
    return cuda::conv_cached_algo(pass, dtype, xs, ws, p);
  };
  CHECK(algo(ConvPass::Forward, DType::Float32) == cuda::kConvNotCached);

  const Tensor x = to_cuda(test::randn(xs, 61, DType::Float32));
  const Tensor w = to_cuda(test::randn(ws, 62, DType::Float32));
  const Tensor y1 = raw::conv2d(x, w, Tensor(), p);
  CHECK(cuda::conv_algo_cache_size() == before + 1);
  const int forward = algo(ConvPass::Forward, DType::Float32);
  MESSAGE("float32 forward algorithm: ", forward);
  // A plain float32 3x3 convolution must find a cuDNN algorithm; kConvDirect here would mean
  // descriptors cuDNN rejects.
  CHECK(forward >= 0);

  // The same configuration on other buffers: the same plan, no new entry, the same bits (every
  // forward algorithm is deterministic).
  const Tensor x2 = raw::clone(x);
  const Tensor y2 = raw::conv2d(x2, raw::clone(w), Tensor(), p);
  CHECK(cuda::conv_algo_cache_size() == before + 1);
  CHECK(algo(ConvPass::Forward, DType::Float32) == forward);
  CHECK(y2.to_vector() == y1.to_vector());

  // Each backward product is its own configuration, planned once.
  const Tensor dy = to_cuda(test::randn(y1.shape(), 63, DType::Float32));
  for (int round = 0; round < 2; ++round) {
    raw::conv2d_backward_input(dy, w, xs, p);
    raw::conv2d_backward_weight(dy, x, ws, p);
    CHECK(cuda::conv_algo_cache_size() == before + 3);
  }
  const int data = algo(ConvPass::BackwardData, DType::Float32);
  const int filter = algo(ConvPass::BackwardFilter, DType::Float32);
  MESSAGE("float32 backward data / filter algorithms: ", data, " / ", filter);
  CHECK(data >= 0);
  CHECK(filter >= 0);
  CHECK(cuda::conv_direct_calls() == direct_before);

  // Another dtype is another configuration; cuDNN may or may not take float64.
  CHECK(algo(ConvPass::Forward, DType::Float64) == cuda::kConvNotCached);
  raw::conv2d(raw::to_dtype(x, DType::Float64), raw::to_dtype(w, DType::Float64), Tensor(), p);
  CHECK(cuda::conv_algo_cache_size() == before + 4);
  const int forward64 = algo(ConvPass::Forward, DType::Float64);
  MESSAGE("float64 forward algorithm: ", forward64, " (", cuda::kConvDirect, " = direct kernel)");
  CHECK(forward64 != cuda::kConvNotCached);
  CHECK(algo(ConvPass::Forward, DType::Float32) == forward);
#endif
}
