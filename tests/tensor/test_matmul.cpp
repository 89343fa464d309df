#include <string>

#include "tensor/kernels/matmul.h"
#include "tests/test_util.h"

using namespace bcl;

namespace {

using V = std::vector<double>;

// Tolerances against the reference, which sums the same float products in double. Inputs are
// N(0, 1), so a sum of k products has size ~sqrt(k), and float32 GEMM's rounding (~6e-8 relative
// per addition) adds up to ~1e-6 absolute for the k <= 10 shapes, hence 1e-5, and to ~3e-5
// (observed) for k = 300, hence 1e-4; both also allow as much relative error. Float64: ~1e-14.
constexpr double kF32Tol = 1e-5;
constexpr double kF32TolLarge = 1e-4;
constexpr double kF64Tol = 1e-12;

struct MatmulCase {
  std::string name;
  Tensor a, b;
};

// Columns 0, 2, 4, ... of x: no unit stride, so GEMM needs a copy.
Tensor every_other_column(const Tensor& x) {
  return make_view(x, {x.size(0), x.size(1) / 2}, {x.strides()[0], 2}, x.offset());
}

std::vector<MatmulCase> matmul_cases(DType t) {
  using raw::transpose;
  using test::randn;
  return {
      {"2-D", randn({5, 7}, 1, t), randn({7, 3}, 2, t)},
      {"row times column", randn({1, 4}, 3, t), randn({4, 1}, 4, t)},
      {"outer product (k = 1)", randn({6, 1}, 5, t), randn({1, 5}, 6, t)},
      {"transposed a", transpose(randn({7, 5}, 7, t), 0, 1), randn({7, 3}, 8, t)},
      {"transposed b", randn({5, 7}, 9, t), transpose(randn({3, 7}, 10, t), 0, 1)},
      {"both transposed", transpose(randn({7, 5}, 11, t), 0, 1),
       transpose(randn({3, 7}, 12, t), 0, 1)},
      {"rows wider than the matrix (narrowed columns)", raw::narrow(randn({5, 10}, 13, t), 1, 2, 7),
       raw::narrow(randn({7, 6}, 14, t), 1, 1, 3)},
      {"every other column", every_other_column(randn({5, 14}, 15, t)), randn({7, 3}, 16, t)},
      {"batched", randn({3, 4, 5}, 17, t), randn({3, 5, 2}, 18, t)},
      {"batched times 2-D (one tall GEMM)", randn({3, 4, 5}, 19, t), randn({5, 2}, 20, t)},
      {"transposed batch times 2-D", transpose(randn({3, 5, 4}, 21, t), 1, 2),
       randn({5, 2}, 22, t)},
      {"2-D times batched", randn({4, 5}, 23, t), randn({3, 5, 2}, 24, t)},
      {"batch dim not outermost in memory", raw::permute(randn({4, 3, 5}, 25, t), {1, 0, 2}),
       transpose(randn({3, 2, 5}, 26, t), 1, 2)},
      {"expanded batch (stride 0)", raw::expand(randn({1, 4, 5}, 27, t), {3, 4, 5}),
       randn({3, 5, 2}, 28, t)},
  };
}

}  // namespace

TEST_CASE("matmul/hand_computed") {
  for (DType dtype : {DType::Float32, DType::Float64}) {
    CAPTURE(dtype_name(dtype));
    // [[1 2 3], [4 5 6]] [[7 8], [9 10], [11 12]] = [[58 64], [139 154]]
    Tensor a = from_vector({1, 2, 3, 4, 5, 6}, {2, 3}, dtype);
    Tensor b = from_vector({7, 8, 9, 10, 11, 12}, {3, 2}, dtype);
    Tensor c = raw::matmul(a, b);
    CHECK(c.shape() == Shape{2, 2});
    CHECK(c.dtype() == dtype);
    CHECK(c.to_vector() == V{58, 64, 139, 154});
    // a^T a through a transposed view: [[17 22 27], [22 29 36], [27 36 45]]
    CHECK(raw::matmul(raw::transpose(a, 0, 1), a).to_vector() ==
          V{17, 22, 27, 22, 29, 36, 27, 36, 45});
    // Two batch entries: [1 2] [3 4]^T = 11 and [5 6] [7 8]^T = 83.
    Tensor ba = from_vector({1, 2, 5, 6}, {2, 1, 2}, dtype);
    Tensor bb = from_vector({3, 4, 7, 8}, {2, 2, 1}, dtype);
    Tensor bc = raw::matmul(ba, bb);
    CHECK(bc.shape() == Shape{2, 1, 1});
    CHECK(bc.to_vector() == V{11, 83});
  }
}

TEST_CASE("matmul/matches_reference") {
  for (DType dtype : {DType::Float32, DType::Float64}) {
    CAPTURE(dtype_name(dtype));
    const double tol = dtype == DType::Float32 ? kF32Tol : kF64Tol;
    for (const MatmulCase& c : matmul_cases(dtype)) {
      CAPTURE(c.name);
      const Tensor fast = raw::matmul(c.a, c.b);
      CHECK(fast.is_contiguous());
      CHECK_ALLCLOSE(fast, raw::matmul_reference(c.a, c.b), tol, tol);
    }
  }
}

TEST_CASE("matmul/large_matches_reference") {
  // Big enough for OpenBLAS to split the product over its threads.
  for (DType dtype : {DType::Float32, DType::Float64}) {
    CAPTURE(dtype_name(dtype));
    const Tensor a = test::randn({64, 300}, 41, dtype);
    const Tensor b = raw::transpose(test::randn({40, 300}, 42, dtype), 0, 1);
    const double tol = dtype == DType::Float32 ? kF32TolLarge : kF64Tol;
    CHECK_ALLCLOSE(raw::matmul(a, b), raw::matmul_reference(a, b), tol, tol);
  }
}

TEST_CASE("matmul/gemm_operand_layouts") {
  SUBCASE("row-major, possibly with wider rows") {
    GemmOperand g = gemm_operand(3, 4, 4, 1);
    CHECK(g.usable);
    CHECK_FALSE(g.transposed);
    CHECK(g.ld == 4);
    CHECK(gemm_operand(3, 4, 6, 1).ld == 6);
  }
  SUBCASE("a transposed view is passed as a transpose") {
    GemmOperand g = gemm_operand(4, 3, 1, 4);  // transpose of a contiguous [3, 4]
    CHECK(g.usable);
    CHECK(g.transposed);
    CHECK(g.ld == 4);
  }
  SUBCASE("the stride of a size-1 dim does not matter") {
    GemmOperand row = gemm_operand(1, 4, 123, 1);
    CHECK((row.usable && !row.transposed && row.ld == 4));
    GemmOperand col = gemm_operand(4, 1, 1, 123);
    CHECK((col.usable && !col.transposed && col.ld == 1));
    GemmOperand strided_row = gemm_operand(1, 4, 1, 3);  // a row of a transposed matrix
    CHECK((strided_row.usable && strided_row.transposed && strided_row.ld == 3));
  }
  SUBCASE("layouts that need a copy") {
    CHECK_FALSE(gemm_operand(3, 4, 8, 2).usable);  // every other column
    CHECK_FALSE(gemm_operand(3, 4, 0, 1).usable);  // rows broadcast (stride 0)
    CHECK_FALSE(gemm_operand(3, 4, 2, 1).usable);  // overlapping rows
  }
}

TEST_CASE("matmul/output_shapes") {
  const Tensor m23 = zeros({2, 3}), m34 = zeros({3, 4}), b23 = zeros({5, 2, 3}),
               b34 = zeros({5, 3, 4});
  CHECK(raw::matmul(m23, m34).shape() == Shape{2, 4});
  CHECK(raw::matmul(b23, b34).shape() == Shape{5, 2, 4});
  CHECK(raw::matmul(b23, m34).shape() == Shape{5, 2, 4});
  CHECK(raw::matmul(m23, b34).shape() == Shape{5, 2, 4});
  CHECK(raw::matmul_reference(m23, b34).shape() == Shape{5, 2, 4});
}

TEST_CASE("matmul/empty_operands") {
  // A sum over an empty inner dim is 0.
  Tensor c = raw::matmul(zeros({2, 0}), zeros({0, 3}));
  CHECK(c.shape() == Shape{2, 3});
  CHECK(c.to_vector() == V(6, 0.0));
  CHECK(raw::matmul(zeros({0, 4}), zeros({4, 3})).shape() == Shape{0, 3});
  CHECK(raw::matmul(zeros({2, 0, 4}), zeros({4, 3})).shape() == Shape{2, 0, 3});
}

TEST_CASE("matmul/errors") {
  CHECK_THROWS_WITH_AS(raw::matmul(zeros({2, 3}), zeros({4, 5})),
                       "matmul: shapes [2, 3] and [4, 5] do not match", Error);
  CHECK_THROWS_WITH_AS(raw::matmul(zeros({3}), zeros({3, 2})),
                       doctest::Contains("matmul: expected 2-D or 3-D operands"), Error);
  CHECK_THROWS_WITH_AS(raw::matmul(zeros({1, 2, 2, 2}), zeros({2, 2})),
                       doctest::Contains("[1, 2, 2, 2]"), Error);
  CHECK_THROWS_WITH_AS(raw::matmul(zeros({2, 3, 4}), zeros({3, 4, 5})),
                       "matmul: batch sizes of [2, 3, 4] and [3, 4, 5] do not match", Error);
  CHECK_THROWS_WITH_AS(raw::matmul(zeros({2, 3}), zeros({3, 2}, DType::Float64)),
                       doctest::Contains("matmul: expected two floating operands of one dtype"),
                       Error);
  CHECK_THROWS_WITH_AS(raw::matmul(zeros({2, 3}, DType::Int64), zeros({3, 2}, DType::Int64)),
                       doctest::Contains("matmul"), Error);
  CHECK_THROWS_WITH_AS(raw::matmul_reference(zeros({2, 3}), zeros({2, 3})),
                       "matmul_reference: shapes [2, 3] and [2, 3] do not match", Error);
}
