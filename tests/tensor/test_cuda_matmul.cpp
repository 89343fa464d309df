// CUDA matmul (cuBLAS, tensor/kernels/matmul.cu) against the CPU's GEMM on the same values, through
// the raw op, so the front-end's folding, broadcasting and copying of operands is covered too.
#include <functional>
#include <string>

#include "tests/tensor/cuda_test_util.h"

using namespace bcl;
using bcl::test::check_cuda_matches;
using bcl::test::skip_without_gpu;
using bcl::test::to_cuda;

namespace {

// Inputs are N(0, 1), so an output is a sum of k products of size ~sqrt(k) (k <= 300 here, so up
// to ~20). cuBLAS and OpenBLAS sum in different orders, each within ~sqrt(k) * 6e-8 * 20 ~ 2e-5 of
// the exact value in float32 (3e-5 observed against a double oracle in test_matmul.cpp); 1e-4
// absolute plus 1e-4 relative covers the difference of two such errors. TF32 or a wrong operand
// layout would be off by 1e-2 or more. Float64: the same sums are off by ~1e-14 at most.
constexpr double kF32Tol = 1e-4;
constexpr double kF64Tol = 1e-12;

double tol(DType dtype) {
  return dtype == DType::Float32 ? kF32Tol : kF64Tol;
}

using ViewFn = std::function<Tensor(const Tensor&)>;

Tensor as_is(const Tensor& t) {
  return t;
}
Tensor transposed(const Tensor& t) {
  return raw::transpose(t, -2, -1);
}

struct MatmulCase {
  std::string name;
  Shape a_base, b_base;   // the shapes of the values drawn
  ViewFn a_view, b_view;  // the operands, as views of those values (the same on both devices)
};

std::vector<MatmulCase> matmul_cases() {
  return {
      {"2-D, odd sizes", {37, 53}, {53, 29}, as_is, as_is},
      {"larger than a tile", {130, 257}, {257, 70}, as_is, as_is},
      {"transposed a", {53, 37}, {53, 29}, transposed, as_is},
      {"transposed b", {37, 53}, {29, 53}, as_is, transposed},
      {"both transposed", {53, 37}, {29, 53}, transposed, transposed},
      // Row stride 60 for 53 columns: GEMM reads it in place with ld = 60.
      {"sliced columns (ld > cols)",
       {37, 60},
       {53, 29},
       [](const Tensor& t) { return raw::narrow(t, 1, 3, 53); },
       as_is},
      // Column stride 2: not GEMM-readable, so the front-end copies it first.
      {"every other column (copied)",
       {37, 106},
       {53, 29},
       [](const Tensor& t) {
         return make_view(t, {37, 53}, {t.strides()[0], 2}, t.offset());
       },
       as_is},
      {"row times column (m = n = 1)", {1, 300}, {300, 1}, as_is, as_is},
      {"outer product (k = 1)", {6, 1}, {1, 8}, as_is, as_is},
      {"transposed column as a row", {300, 1}, {300, 5}, transposed, as_is},
      {"batched", {5, 17, 23}, {5, 23, 19}, as_is, as_is},
      {"batch of 1", {1, 5, 7}, {1, 7, 3}, as_is, as_is},
      {"batched, transposed b", {5, 17, 23}, {5, 19, 23}, as_is, transposed},
      {"batched, transposed a", {5, 23, 17}, {5, 23, 19}, transposed, as_is},
      // A contiguous stack times a matrix: the front-end folds it into one taller product.
      {"3-D times 2-D, contiguous", {4, 9, 31}, {31, 13}, as_is, as_is},
      // Not foldable: a's batch stride is 31 and its row stride 4 * 31; b is broadcast over the
      // batch with batch stride 0.
      {"3-D (permuted) times 2-D",
       {9, 4, 31},
       {31, 13},
       [](const Tensor& t) {
         return raw::permute(t, {1, 0, 2});
       },
       as_is},
      // a is broadcast over the batch (batch stride 0).
      {"2-D times 3-D", {9, 31}, {4, 31, 13}, as_is, as_is},
      {"2-D transposed times 3-D transposed", {31, 9}, {4, 13, 31}, transposed, transposed},
  };
}

// Draws the values, builds the operands on each device, and compares the products.
void check_matmul_case(const MatmulCase& c, DType dtype, uint64_t seed) {
  CAPTURE(c.name);
  CAPTURE(dtype_name(dtype));
  const Tensor a0 = test::randn(c.a_base, seed, dtype), b0 = test::randn(c.b_base, seed + 1, dtype);
  const Tensor cpu = raw::matmul(c.a_view(a0), c.b_view(b0));
  const Tensor gpu = raw::matmul(c.a_view(to_cuda(a0)), c.b_view(to_cuda(b0)));
  CHECK(gpu.shape() == cpu.shape());
  check_cuda_matches("matmul", gpu, cpu, tol(dtype), tol(dtype));
}

}  // namespace

TEST_CASE("cuda/matmul_matches_cpu") {
  if (skip_without_gpu()) return;
  uint64_t seed = 100;
  for (DType dtype : {DType::Float32, DType::Float64}) {
    for (const MatmulCase& c : matmul_cases()) check_matmul_case(c, dtype, seed += 2);
  }
}

TEST_CASE("cuda/matmul_empty") {
  if (skip_without_gpu()) return;
  for (DType dtype : {DType::Float32, DType::Float64}) {
    CAPTURE(dtype_name(dtype));
    // No rows: nothing to compute.
    Tensor none =
        raw::matmul(to_cuda(test::randn({0, 5}, 1, dtype)), to_cuda(test::randn({5, 3}, 2, dtype)));
    CHECK(none.device() == Device::CUDA);
    CHECK(none.shape() == Shape{0, 3});
    // k = 0: every output is an empty sum, 0.
    Tensor zero_k = raw::matmul(to_cuda(empty({4, 0}, dtype)), to_cuda(empty({2, 0, 3}, dtype)));
    CHECK(zero_k.shape() == Shape{2, 4, 3});
    CHECK(zero_k.to_vector() == std::vector<double>(24, 0.0));
  }
}

TEST_CASE("cuda/matmul_deterministic") {
  if (skip_without_gpu()) return;
  // The same product twice gives the same bits: cuBLAS documents bitwise reproducible results on
  // one GPU for its GEMMs (only a few routines using atomics are exceptions). Through the fold
  // path, whose output comes back in the op's 3-D shape.
  Tensor a = to_cuda(test::randn({3, 8, 16}, 7, DType::Float32));
  Tensor b = to_cuda(test::randn({16, 5}, 8, DType::Float32));
  Tensor first = raw::matmul(a, b), second = raw::matmul(a, b);
  CHECK(first.shape() == Shape{3, 8, 5});
  CHECK(first.to_vector() == second.to_vector());
}
