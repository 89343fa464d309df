// CUDA 2-D pooling (tensor/kernels/pool2d.cu) against the CPU kernels: max pooling with its
// indices, ties and NaNs, average pooling with padding and as a global average pool, and both
// backwards, in float32 and float64, on ResNet-like geometries.
#include <cmath>
#include <limits>
#include <string>

#include "tests/tensor/cuda_test_util.h"

using namespace bcl;
using bcl::test::check_cuda_matches;
using bcl::test::skip_without_gpu;
using bcl::test::to_cpu;
using bcl::test::to_cuda;
using raw::Pool2dParams;

namespace {

Pool2dParams pool(int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph, int64_t pw) {
  Pool2dParams p;
  p.kernel_h = kh;
  p.kernel_w = kw;
  p.stride_h = sh;
  p.stride_w = sw;
  p.pad_h = ph;
  p.pad_w = pw;
  return p;
}

struct PoolCase {
  Shape shape;
  Pool2dParams p;
};

// ResNet-50's stem pool (3x3, stride 2, padding 1) on even and odd sizes, non-overlapping 2x2
// windows, overlapping stride-1 windows, unequal kernel, stride and padding per axis, and a size-1
// plane.
const PoolCase kCases[] = {
    {{2, 4, 16, 16}, pool(3, 3, 2, 2, 1, 1)}, {{2, 3, 17, 15}, pool(3, 3, 2, 2, 1, 1)},
    {{3, 5, 7, 9}, pool(2, 2, 2, 2, 0, 0)},   {{2, 3, 6, 5}, pool(3, 3, 1, 1, 1, 1)},
    {{2, 3, 9, 8}, pool(3, 2, 2, 1, 1, 1)},   {{1, 1, 1, 1}, pool(1, 1, 1, 1, 0, 0)},
};

// Integer values in [-2, 2]: most windows hold tied maxima, and overlapping windows share them.
Tensor tie_heavy(const Shape& shape, DType dtype, uint64_t seed) {
  return raw::to_dtype(raw::to_dtype(test::uniform(shape, -2.999, 2.999, seed), DType::Int64),
                       dtype);
}

// The error table keeps one row per op and dtype, since their tolerances differ.
std::string op_name(const char* op, DType dtype) {
  return std::string(op) + "/" + dtype_name(dtype);
}

std::string case_str(const PoolCase& c) {
  const Pool2dParams& p = c.p;
  return shape_str(c.shape) + " kernel " + std::to_string(p.kernel_h) + "x" +
         std::to_string(p.kernel_w) + " stride " + std::to_string(p.stride_h) + "x" +
         std::to_string(p.stride_w) + " pad " + std::to_string(p.pad_h) + "x" +
         std::to_string(p.pad_w);
}

}  // namespace

TEST_CASE("cuda/max_pool2d_matches_cpu") {
  if (skip_without_gpu()) return;
  for (DType dtype : {DType::Float32, DType::Float64}) {
    for (const PoolCase& c : kCases) {
      for (bool ties : {false, true}) {
        CAPTURE(dtype_name(dtype));
        CAPTURE(case_str(c));
        CAPTURE(ties);
        const Tensor x = ties ? tie_heavy(c.shape, dtype, 1) : test::randn(c.shape, 2, dtype);
        raw::MaxPoolOutput cpu = raw::max_pool2d(x, c.p);
        raw::MaxPoolOutput gpu = raw::max_pool2d(to_cuda(x), c.p);
        // Exact: the maximum is one of the inputs, and the first one wins ties on both devices.
        check_cuda_matches(op_name("max_pool2d", dtype), gpu.out, cpu.out, 0, 0);
        CHECK(gpu.indices.dtype() == DType::Int64);
        CHECK(to_cpu(gpu.indices).to_vector() == cpu.indices.to_vector());

        // The backward with the CPU's indices (the same as the GPU's when the above passes):
        // each input element adds its windows' gradients in the CPU's order, so again exact.
        const Tensor g = test::randn(cpu.out.shape(), 3, dtype);
        Tensor gx_cpu = raw::max_pool2d_backward(g, cpu.indices, c.shape);
        Tensor gx_gpu = raw::max_pool2d_backward(to_cuda(g), to_cuda(cpu.indices), c.shape);
        check_cuda_matches(op_name("max_pool2d_backward", dtype), gx_gpu, gx_cpu, 0, 0);
      }
    }
  }
}

TEST_CASE("cuda/max_pool2d_nan_and_non_contiguous_input") {
  if (skip_without_gpu()) return;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (DType dtype : {DType::Float32, DType::Float64}) {
    CAPTURE(dtype_name(dtype));
    // x is [N, C, H, W] seen through a transpose of [N, H, C, W] storage, with a NaN planted in
    // two of its planes.
    Tensor storage = test::randn({2, 9, 3, 11}, 4, dtype);
    raw::fill_(raw::narrow(raw::narrow(raw::narrow(storage, 0, 0, 1), 1, 4, 1), 2, 1, 1), nan);
    raw::fill_(raw::narrow(raw::narrow(raw::narrow(storage, 0, 1, 1), 1, 0, 1), 3, 10, 1), nan);
    const Tensor x = raw::transpose(storage, 1, 2);
    const Tensor x_gpu = raw::transpose(to_cuda(storage), 1, 2);
    REQUIRE_FALSE(x_gpu.is_contiguous());
    const Pool2dParams p = pool(3, 3, 2, 2, 1, 1);
    raw::MaxPoolOutput cpu = raw::max_pool2d(x, p);
    raw::MaxPoolOutput gpu = raw::max_pool2d(x_gpu, p);
    const std::vector<double> out_cpu = cpu.out.to_vector(), out_gpu = to_cpu(gpu.out).to_vector();
    REQUIRE(out_gpu.size() == out_cpu.size());
    int nans = 0;
    for (size_t i = 0; i < out_cpu.size(); ++i) {
      CAPTURE(i);
      CHECK(std::isnan(out_gpu[i]) == std::isnan(out_cpu[i]));
      if (std::isnan(out_cpu[i])) {
        ++nans;
      } else {
        CHECK(out_gpu[i] == out_cpu[i]);
      }
    }
    CHECK(nans > 0);
    CHECK(to_cpu(gpu.indices).to_vector() == cpu.indices.to_vector());
  }
}

TEST_CASE("cuda/avg_pool2d_matches_cpu") {
  if (skip_without_gpu()) return;
  for (DType dtype : {DType::Float32, DType::Float64}) {
    // Both sum in double in the same order and divide once, so the forward should agree exactly;
    // the CPU compiler may fuse the backward's dy * scale into its adds, which changes the last
    // bit: a few ulps of tolerance for both.
    const double t = dtype == DType::Float32 ? 1e-6 : 1e-14;
    for (const PoolCase& c : kCases) {
      CAPTURE(dtype_name(dtype));
      CAPTURE(case_str(c));
      const Tensor x = test::randn(c.shape, 5, dtype);
      Tensor cpu = raw::avg_pool2d(x, c.p);
      Tensor gpu = raw::avg_pool2d(to_cuda(x), c.p);
      check_cuda_matches(op_name("avg_pool2d", dtype), gpu, cpu, t, t);

      const Tensor g = test::randn(cpu.shape(), 6, dtype);
      Tensor gx_cpu = raw::avg_pool2d_backward(g, c.shape, c.p);
      Tensor gx_gpu = raw::avg_pool2d_backward(to_cuda(g), c.shape, c.p);
      check_cuda_matches(op_name("avg_pool2d_backward", dtype), gx_gpu, gx_cpu, t, t);
    }
  }
}

TEST_CASE("cuda/avg_pool2d_global_and_non_contiguous") {
  if (skip_without_gpu()) return;
  for (DType dtype : {DType::Float32, DType::Float64}) {
    const double t = dtype == DType::Float32 ? 1e-6 : 1e-14;
    // Global average pools: ResNet-32's final 8x8 and ResNet-50's 7x7 feature maps.
    for (const Shape& shape : {Shape{2, 16, 8, 8}, Shape{3, 10, 7, 7}}) {
      CAPTURE(dtype_name(dtype));
      CAPTURE(shape_str(shape));
      const Pool2dParams p = pool(shape[2], shape[3], 1, 1, 0, 0);
      const Tensor x = test::randn(shape, 7, dtype);
      Tensor cpu = raw::avg_pool2d(x, p);
      Tensor gpu = raw::avg_pool2d(to_cuda(x), p);
      CHECK(gpu.shape() == Shape{shape[0], shape[1], 1, 1});
      check_cuda_matches(op_name("avg_pool2d", dtype), gpu, cpu, t, t);
      const Tensor g = test::randn(cpu.shape(), 8, dtype);
      check_cuda_matches(op_name("avg_pool2d_backward", dtype),
                         raw::avg_pool2d_backward(to_cuda(g), shape, p),
                         raw::avg_pool2d_backward(g, shape, p), t, t);
    }
    // A permuted (non-contiguous) input, which the front-end lays out first.
    CAPTURE(dtype_name(dtype));
    const Tensor storage = test::randn({2, 11, 9, 3}, 9, dtype);
    const Tensor x = raw::permute(storage, {0, 3, 1, 2});
    const Tensor x_gpu = raw::permute(to_cuda(storage), {0, 3, 1, 2});
    REQUIRE_FALSE(x_gpu.is_contiguous());
    const Pool2dParams p = pool(3, 3, 2, 2, 1, 1);
    check_cuda_matches(op_name("avg_pool2d", dtype), raw::avg_pool2d(x_gpu, p),
                       raw::avg_pool2d(x, p), t, t);
  }
}

TEST_CASE("cuda/pool2d_empty_batch") {
  if (skip_without_gpu()) return;
  const Tensor x = zeros({0, 3, 8, 8}, DType::Float32, Device::CUDA);
  const Pool2dParams p = pool(3, 3, 2, 2, 1, 1);
  raw::MaxPoolOutput m = raw::max_pool2d(x, p);
  CHECK(m.out.shape() == Shape{0, 3, 4, 4});
  CHECK(m.out.device() == Device::CUDA);
  CHECK(raw::max_pool2d_backward(m.out, m.indices, x.shape()).shape() == x.shape());
  Tensor a = raw::avg_pool2d(x, p);
  CHECK(a.shape() == Shape{0, 3, 4, 4});
  CHECK(raw::avg_pool2d_backward(a, x.shape(), p).shape() == x.shape());
}
