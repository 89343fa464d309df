#include <omp.h>

#include <string>

#include "tensor/dispatch.h"
#include "tests/test_util.h"

using namespace bcl;
using raw::Conv2dParams;

namespace {

using V = std::vector<double>;

// Tolerances against the reference convolutions, which sum the same products in double. Inputs
// are N(0, 1). The longest float32 sums are the weight gradients' N * Ho * Wo = 768 products,
// whose sums are ~sqrt(768) ~ 30 in size; rounding errors of ~6e-8 relative per addition add up
// like a random walk to ~1e-5 absolute (4e-5 observed), so 1e-4 absolute plus 1e-4 relative.
// In float64 the same sums are off by ~1e-13.
constexpr double kF32Tol = 1e-4;
constexpr double kF64Tol = 1e-10;

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
};

std::vector<ConvCase> conv_cases() {
  return {
      {"3x3, padding 1", {2, 3, 5, 5}, {4, 3, 3, 3}, conv(1, 1, 1, 1)},
      {"3x3, stride 2, padding 1", {2, 3, 7, 7}, {4, 3, 3, 3}, conv(2, 2, 1, 1)},
      {"groups 2", {2, 4, 6, 6}, {6, 2, 3, 3}, conv(1, 1, 1, 1, 2)},
      {"depthwise, stride 2", {2, 4, 6, 6}, {4, 1, 3, 3}, conv(2, 2, 1, 1, 4)},
      {"1x1", {3, 5, 4, 4}, {6, 5, 1, 1}, conv(1, 1, 0, 0)},
      {"1x1 groups 2", {2, 4, 3, 3}, {6, 2, 1, 1}, conv(1, 1, 0, 0, 2)},
      {"1x1, stride 2", {2, 5, 5, 5}, {3, 5, 1, 1}, conv(2, 2, 0, 0)},
      {"non-square, mixed stride and padding", {3, 3, 5, 8}, {2, 3, 3, 2}, conv(2, 1, 1, 0)},
      {"batch 3, 5x5 kernel", {3, 2, 6, 6}, {3, 2, 5, 5}, conv(1, 1, 2, 2)},
      {"kernel covers the input", {2, 3, 4, 4}, {5, 3, 4, 4}, conv(1, 1, 0, 0)},
      {"16 channels, 16x16", {3, 16, 16, 16}, {8, 16, 3, 3}, conv(1, 1, 1, 1)},
      // The fast kernels lower a chunk of images at a time (a few hundred output positions, a
      // thousand for the weight gradient): these batches span several chunks, the last one short.
      {"batch of 5 16x16 images", {5, 4, 16, 16}, {6, 4, 3, 3}, conv(1, 1, 1, 1)},
      {"batch of 9, stride 2", {9, 3, 24, 24}, {5, 3, 3, 3}, conv(2, 2, 1, 1)},
      {"batch of 21 8x8 images, groups 2", {21, 4, 8, 8}, {6, 2, 3, 3}, conv(1, 1, 1, 1, 2)},
      // An image as its own cols, with the input gradient by W^T dy (C < O), then by a convolution.
      {"1x1, 32x32, 3 -> 4 channels", {2, 3, 32, 32}, {4, 3, 1, 1}, conv(1, 1, 0, 0)},
      // Images over 256 output positions are lowered in blocks of rows: 11 + 11 + 1 rows here,
      // 12 + 8 for the strided one, 8 + 8 + 8 + 6 with a 5x5 kernel reaching 2 rows out.
      {"23x23 in row blocks", {2, 3, 23, 23}, {4, 3, 3, 3}, conv(1, 1, 1, 1)},
      {"40x40, stride 2, in row blocks", {2, 3, 40, 40}, {4, 3, 3, 3}, conv(2, 2, 1, 1)},
      {"30x30, 5x5 kernel, in row blocks", {2, 2, 30, 30}, {3, 2, 5, 5}, conv(1, 1, 2, 2)},
      {"1x1, 32x32, 6 -> 4 channels", {2, 6, 32, 32}, {4, 6, 1, 1}, conv(1, 1, 0, 0)},
      // Stride 1 with the output as wide as the input: im2col copies whole shifted planes.
      {"3x5 kernel, padding (1, 2)", {2, 3, 6, 7}, {4, 3, 3, 5}, conv(1, 1, 1, 2)},
      {"1x3 kernel, padding 1", {2, 2, 4, 5}, {3, 2, 1, 3}, conv(1, 1, 1, 1)},
      // The direct 3x3 kernel (float32; conv2d_direct.h): up to 16 output channels, Wo a multiple
      // of 8. Positions come in blocks of 4 segments of 8, so 8x8 images end on a block of 0,
      // 3x8 on 3, 5x8 on 1; the input gradient of C <= 16 channels takes it too.
      {"direct: 16 channels, 32x32", {2, 16, 32, 32}, {16, 16, 3, 3}, conv(1, 1, 1, 1)},
      {"direct: 3 -> 16 channels, 8x16", {3, 3, 8, 16}, {16, 3, 3, 3}, conv(1, 1, 1, 1)},
      {"direct: 5 -> 6 channels, 3x8", {2, 5, 3, 8}, {6, 5, 3, 3}, conv(1, 1, 1, 1)},
      {"direct: 7 -> 2 channels, 5x8", {3, 7, 5, 8}, {2, 7, 3, 3}, conv(1, 1, 1, 1)},
      {"direct: 1 channel, 1x8", {2, 1, 1, 8}, {2, 1, 3, 3}, conv(1, 1, 1, 1)},
      // The weight gradient sums chunks of 8 images: 3 chunks, the last one short.
      {"direct: 19 images of 8x8", {19, 4, 8, 8}, {4, 4, 3, 3}, conv(1, 1, 1, 1)},
  };
}

Shape out_shape(const ConvCase& c) {
  const int64_t ho = (c.x[2] + 2 * c.p.pad_h - c.w[2]) / c.p.stride_h + 1;
  const int64_t wo = (c.x[3] + 2 * c.p.pad_w - c.w[3]) / c.p.stride_w + 1;
  return {c.x[0], c.w[0], ho, wo};
}

double dot(const Tensor& a, const Tensor& b) {
  return raw::sum(raw::mul(a, b)).item();
}

}  // namespace

TEST_CASE("conv2d/hand_computed") {
  for (DType dtype : {DType::Float32, DType::Float64}) {
    CAPTURE(dtype_name(dtype));
    // x = [[1 2 3], [4 5 6], [7 8 9]], w = 2x2 ones: each output sums a 2x2 window.
    Tensor x = from_vector({1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 1, 3, 3}, dtype);
    Tensor w = ones({1, 1, 2, 2}, dtype);
    CHECK(raw::conv2d(x, w, Tensor(), Conv2dParams{}).to_vector() == V{12, 16, 24, 28});
    // Stride 2, padding 1: the windows see {1}, {2, 3}, {4, 7}, {5, 6, 8, 9}; bias 0.5.
    Tensor b = full({1}, 0.5, dtype);
    Tensor y = raw::conv2d(x, w, b, conv(2, 2, 1, 1));
    CHECK(y.shape() == Shape{1, 1, 2, 2});
    CHECK(y.to_vector() == V{1.5, 5.5, 11.5, 28.5});
    // Backward of the first conv with dy = 1: dx counts the windows covering each pixel, dw sums
    // the pixels under each tap.
    Tensor g = ones({1, 1, 2, 2}, dtype);
    CHECK(raw::conv2d_backward_input(g, w, x.shape(), Conv2dParams{}).to_vector() ==
          V{1, 2, 1, 2, 4, 2, 1, 2, 1});
    CHECK(raw::conv2d_backward_weight(g, x, w.shape(), Conv2dParams{}).to_vector() ==
          V{12, 16, 24, 28});
  }
}

TEST_CASE("conv2d/groups_do_not_mix_channels") {
  // Two groups of one channel: y0 = 10 x0, y1 = 100 x1 (a dense conv would add the other term).
  Tensor x = from_vector({2, 3}, {1, 2, 1, 1}, DType::Float64);
  Tensor w = from_vector({10, 100}, {2, 1, 1, 1}, DType::Float64);
  CHECK(raw::conv2d(x, w, Tensor(), conv(1, 1, 0, 0, 2)).to_vector() == V{20, 300});
  CHECK(raw::conv2d_reference(x, w, Tensor(), conv(1, 1, 0, 0, 2)).to_vector() == V{20, 300});
}

TEST_CASE("conv2d/matches_reference") {
  for (const ConvCase& c : conv_cases()) {
    CAPTURE(c.name);
    for (DType dtype : {DType::Float32, DType::Float64}) {
      CAPTURE(dtype_name(dtype));
      const double tol = dtype == DType::Float32 ? kF32Tol : kF64Tol;
      const Tensor x = test::randn(c.x, 1, dtype), w = test::randn(c.w, 2, dtype);
      const Tensor b = test::randn({c.w[0]}, 3, dtype), g = test::randn(out_shape(c), 4, dtype);
      for (const Tensor& bias : {b, Tensor()}) {
        const Tensor y = raw::conv2d(x, w, bias, c.p);
        CHECK(y.shape() == out_shape(c));
        CHECK_ALLCLOSE(y, raw::conv2d_reference(x, w, bias, c.p), tol, tol);
      }
      CHECK_ALLCLOSE(raw::conv2d_backward_input(g, w, c.x, c.p),
                     raw::conv2d_backward_input_reference(g, w, c.x, c.p), tol, tol);
      CHECK_ALLCLOSE(raw::conv2d_backward_weight(g, x, c.w, c.p),
                     raw::conv2d_backward_weight_reference(g, x, c.w, c.p), tol, tol);
    }
  }
}

TEST_CASE("conv2d/bfloat16_matches_reference") {
  // bfloat16 operands (tensor/kernels/conv2d_bf16.cpp): exact products summed in float32, then
  // rounded once to bfloat16. Against the float64 reference on the same (bf16-valued) operands,
  // each output is off by its rounding, at most 2^-8 relative, plus the float32 sums' kF32Tol:
  // the bound below allows twice the rounding.
  for (const ConvCase& c : conv_cases()) {
    CAPTURE(c.name);
    const auto bf16 = [](const Tensor& t) { return raw::to_dtype(t, DType::BFloat16); };
    const auto f64 = [](const Tensor& t) { return raw::to_dtype(t, DType::Float64); };
    const Tensor x = bf16(test::randn(c.x, 1, DType::Float32));
    const Tensor w = bf16(test::randn(c.w, 2, DType::Float32));
    const Tensor b = bf16(test::randn({c.w[0]}, 3, DType::Float32));
    const Tensor g = bf16(test::randn(out_shape(c), 4, DType::Float32));
    const Tensor y = raw::conv2d(x, w, b, c.p);
    CHECK(y.dtype() == DType::BFloat16);
    CHECK_ALLCLOSE(f64(y), raw::conv2d_reference(f64(x), f64(w), f64(b), c.p), kF32Tol, 0x1p-7);
    const Tensor dx = raw::conv2d_backward_input(g, w, c.x, c.p);
    const Tensor dw = raw::conv2d_backward_weight(g, x, c.w, c.p);
    CHECK(dx.dtype() == DType::BFloat16);
    CHECK(dw.dtype() == DType::BFloat16);
    CHECK_ALLCLOSE(f64(dx), raw::conv2d_backward_input_reference(f64(g), f64(w), c.x, c.p), kF32Tol,
                   0x1p-7);
    CHECK_ALLCLOSE(f64(dw), raw::conv2d_backward_weight_reference(f64(g), f64(x), c.w, c.p),
                   kF32Tol, 0x1p-7);
  }
}

TEST_CASE("conv2d/strided_inputs") {
  // Non-contiguous x and w (transposed spatial dims) give the same result as their copies.
  const Tensor x = raw::transpose(test::randn({2, 3, 6, 5}, 5), 2, 3);
  const Tensor w = raw::transpose(test::randn({4, 3, 3, 3}, 6), 2, 3);
  const Conv2dParams p = conv(1, 2, 1, 0);
  CHECK(raw::conv2d(x, w, Tensor(), p).to_vector() ==
        raw::conv2d(raw::clone(x), raw::clone(w), Tensor(), p).to_vector());
}

TEST_CASE("conv2d/backward_is_the_adjoint_of_forward") {
  // y = conv(x, w) is linear in x and in w, so <y, g> = <x, dx(g)> = <w, dw(g)> exactly (up to
  // float64 rounding of three sums of a few thousand terms: 1e-9 relative).
  for (const ConvCase& c : conv_cases()) {
    CAPTURE(c.name);
    const Tensor x = test::randn(c.x, 7), w = test::randn(c.w, 8), g = test::randn(out_shape(c), 9);
    const double y_g = dot(raw::conv2d(x, w, Tensor(), c.p), g);
    CHECK(dot(x, raw::conv2d_backward_input(g, w, c.x, c.p)) == doctest::Approx(y_g).epsilon(1e-9));
    CHECK(dot(w, raw::conv2d_backward_weight(g, x, c.w, c.p)) ==
          doctest::Approx(y_g).epsilon(1e-9));
  }
}

TEST_CASE("conv2d/same_result_on_any_thread_count") {
  // Bitwise: every output element is summed by one thread in an order set by the shapes alone.
  // For the im2col + GEMM variant (forced by the limit) and the one this CPU picks (on AVX2 and
  // AVX-512 machines the direct kernel for the 3x3 cases of at most 16 output channels).
  const std::vector<ConvCase> cases = {
      {"3 16x16 images", {3, 16, 16, 16}, {8, 16, 3, 3}, conv(1, 1, 1, 1)},
      {"5 16x16 images, 16 channels (direct kernel)",
       {5, 16, 16, 16},
       {16, 16, 3, 3},
       conv(1, 1, 1, 1)},
      {"96 8x8 images", {96, 8, 8, 8}, {8, 8, 3, 3}, conv(1, 1, 1, 1)},
      {"stride 2 (input gradient by col2im)", {7, 4, 24, 24}, {6, 4, 3, 3}, conv(2, 2, 1, 1)},
  };
  for (const Isa isa : {Isa::Generic, host_isa()}) {
    for (const ConvCase& c : cases) {
      CAPTURE(isa_name(isa));
      CAPTURE(c.name);
      const ScopedIsaLimit limit(isa);
      const Tensor x = test::randn(c.x, 10, DType::Float32),
                   w = test::randn(c.w, 11, DType::Float32);
      const Tensor g = test::randn(out_shape(c), 12, DType::Float32);
      const auto run = [&](int threads) {
        const int saved = omp_get_max_threads();
        omp_set_num_threads(threads);
        std::vector<std::vector<double>> results = {
            raw::conv2d(x, w, Tensor(), c.p).to_vector(),
            raw::conv2d_backward_input(g, w, c.x, c.p).to_vector(),
            raw::conv2d_backward_weight(g, x, c.w, c.p).to_vector()};
        omp_set_num_threads(saved);
        return results;
      };
      const auto one = run(1);
      for (int threads : {2, 3}) {
        CAPTURE(threads);
        const auto many = run(threads);
        for (size_t i = 0; i < one.size(); ++i) CHECK(many[i] == one[i]);
      }
    }
  }
}

TEST_CASE("conv2d/errors") {
  const Tensor x = zeros({1, 3, 5, 5}), w = zeros({4, 3, 3, 3});
  CHECK_THROWS_WITH_AS(raw::conv2d(zeros({3, 5, 5}), w, Tensor(), Conv2dParams{}),
                       doctest::Contains("conv2d: expected input [N, C, H, W] and weight [O, "
                                         "C/groups, kh, kw], got [3, 5, 5] and [4, 3, 3, 3]"),
                       Error);
  CHECK_THROWS_WITH_AS(raw::conv2d(x, zeros({4, 1, 3, 3}), Tensor(), conv(1, 1, 0, 0, 2)),
                       "conv2d: input channels of [1, 3, 5, 5] are not divisible by groups = 2",
                       Error);
  CHECK_THROWS_WITH_AS(
      raw::conv2d(zeros({1, 4, 5, 5}), zeros({3, 2, 3, 3}), Tensor(), conv(1, 1, 0, 0, 2)),
      "conv2d: output channels of weight [3, 2, 3, 3] are not divisible by groups = 2", Error);
  CHECK_THROWS_WITH_AS(raw::conv2d(x, zeros({4, 2, 3, 3}), Tensor(), Conv2dParams{}),
                       "conv2d: weight [4, 2, 3, 3] with groups = 1 expects 2 input channels, but "
                       "the input is [1, 3, 5, 5]",
                       Error);
  CHECK_THROWS_WITH_AS(raw::conv2d(zeros({1, 3, 2, 2}), w, Tensor(), Conv2dParams{}),
                       doctest::Contains("conv2d: output size would be empty"), Error);
  CHECK_THROWS_WITH_AS(raw::conv2d(x, w, Tensor(), conv(0, 1, 0, 0)),
                       doctest::Contains("conv2d: invalid stride (0, 1)"), Error);
  CHECK_THROWS_WITH_AS(raw::conv2d(x, w, zeros({3}), Conv2dParams{}),
                       "conv2d: bias [3] does not match weight [4, 3, 3, 3]", Error);
  CHECK_THROWS_WITH_AS(
      raw::conv2d(x, zeros({4, 3, 3, 3}, DType::Float64), Tensor(), Conv2dParams{}),
      doctest::Contains("conv2d: input is float32"), Error);
  CHECK_THROWS_WITH_AS(
      raw::conv2d_backward_input(zeros({1, 4, 2, 2}), w, x.shape(), Conv2dParams{}),
      "conv2d_backward_input: grad_out has shape [1, 4, 2, 2] but the convolution's output has "
      "shape [1, 4, 3, 3]",
      Error);
  CHECK_THROWS_WITH_AS(
      raw::conv2d_backward_weight(zeros({1, 4, 3, 3}), x, {4, 3, 3}, Conv2dParams{}),
      doctest::Contains("conv2d_backward_weight: expected input"), Error);
  CHECK_THROWS_WITH_AS(raw::conv2d_reference(x, zeros({4, 2, 3, 3}), Tensor(), Conv2dParams{}),
                       doctest::Contains("conv2d_reference: weight [4, 2, 3, 3]"), Error);
}
