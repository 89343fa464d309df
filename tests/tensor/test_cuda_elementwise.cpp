// The CUDA elementwise kernels (unary, where, add_, mul_, and binary's edge cases) against the CPU
// kernels on the same inputs: contiguous, transposed, sliced and broadcast operands, sizes that
// are not multiples of the block size, size-1 dims, 0-dim and empty tensors, special values, and
// a tensor longer than one grid (the grid-stride loop).
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "tests/tensor/cuda_test_util.h"

using namespace bcl;
using bcl::test::check_cuda_matches;
using bcl::test::skip_without_gpu;
using bcl::test::to_cpu;
using bcl::test::to_cuda;
using raw::UnaryOp;

namespace {

// One unit in the last place, relative: 2^-23 for float32, 2^-52 for float64.
double ulp(DType dtype) {
  return dtype == DType::Float32 ? std::ldexp(1.0, -23) : std::ldexp(1.0, -52);
}
// The smallest normal number: results below it (subnormals) carry fewer significant bits.
double tiny(DType dtype) {
  return dtype == DType::Float32 ? 1.1754943508222875e-38 : 2.2250738585072014e-308;
}

struct UnaryCase {
  UnaryOp op;
  double p, q;
  const char* name;
  bool positive;  // inputs must be > 0 (log, sqrt, non-integer powers)
  bool exact;     // correctly rounded (or no rounding) on both devices
};

// Exact ops must agree bit for bit. exp, log and pow may not: CUDA's expf is within 2 ulp, logf 1,
// powf 4, exp and log 1, pow 2, and glibc's within 1, so the devices may differ by up to 5 ulp;
// 8 ulp leaves a margin.
const UnaryCase kUnaryCases[] = {
    {UnaryOp::Neg, 0, 0, "neg", false, true},
    {UnaryOp::Exp, 0, 0, "exp", false, false},
    {UnaryOp::Log, 0, 0, "log", true, false},
    {UnaryOp::Sqrt, 0, 0, "sqrt", true, true},
    {UnaryOp::Rsqrt, 0, 0, "rsqrt", true, true},
    {UnaryOp::Relu, 0, 0, "relu", false, true},
    {UnaryOp::Step, 0, 0, "step", false, true},
    {UnaryOp::Abs, 0, 0, "abs", false, true},
    {UnaryOp::PowScalar, 2.0, 0, "pow", false, false},
    {UnaryOp::PowScalar, 3.0, 0, "pow", false, false},
    {UnaryOp::PowScalar, 2.5, 0, "pow", true, false},
    {UnaryOp::PowScalar, -1.5, 0, "pow", true, false},
    {UnaryOp::AddScalar, 0.3, 0, "add_scalar", false, true},
    {UnaryOp::MulScalar, -1.7, 0, "mul_scalar", false, true},
    {UnaryOp::Clamp, -0.5, 0.8, "clamp", false, true},
    {UnaryOp::InRange, -0.5, 0.8, "in_range", false, true},
};

double unary_rtol(const UnaryCase& c, DType dtype) {
  return c.exact ? 0.0 : 8 * ulp(dtype);
}
double unary_atol(const UnaryCase& c, DType dtype) {
  return c.exact ? 0.0 : tiny(dtype);
}

// Inputs for an op: normal(0, 2) values, or uniform ones in [0.01, 10] where the op needs x > 0.
Tensor unary_input(const UnaryCase& c, const Shape& shape, DType dtype, uint64_t seed) {
  if (c.positive) return test::uniform(shape, 0.01, 10, seed, dtype);
  return raw::mul_scalar(test::randn(shape, seed, dtype), 2.0);
}

// For values where both may be NaN or infinite: NaN must meet NaN, an infinity the same infinity,
// and finite values must agree within rtol (relative).
void check_same_specials(const std::string& op, const Tensor& gpu, const Tensor& cpu, double rtol) {
  CAPTURE(op);
  REQUIRE(gpu.device() == Device::CUDA);
  const std::vector<double> g = to_cpu(gpu).to_vector(), c = cpu.to_vector();
  REQUIRE(g.size() == c.size());
  for (size_t i = 0; i < g.size(); ++i) {
    CAPTURE(i);
    CAPTURE(c[i]);
    CAPTURE(g[i]);
    if (std::isnan(c[i])) {
      CHECK(std::isnan(g[i]));
    } else if (std::isinf(c[i]) || c[i] == 0) {
      CHECK(g[i] == c[i]);
    } else {
      CHECK(std::fabs(g[i] - c[i]) <= rtol * std::fabs(c[i]));
    }
  }
}

double max_abs(const Tensor& x) {
  double m = 0;
  for (double v : x.to_vector()) m = std::max(m, std::fabs(v));
  return m;
}

}  // namespace

TEST_CASE("cuda/unary_matches_cpu") {
  if (skip_without_gpu()) return;
  for (DType dtype : {DType::Float32, DType::Float64}) {
    for (const UnaryCase& c : kUnaryCases) {
      CAPTURE(dtype_name(dtype));
      CAPTURE(c.name);
      CAPTURE(c.p);
      const double atol = unary_atol(c, dtype), rtol = unary_rtol(c, dtype);
      auto run = [&](const Tensor& x_cpu, const Tensor& x_gpu) {
        Tensor cpu = raw::unary(c.op, x_cpu, c.p, c.q);
        Tensor gpu = raw::unary(c.op, x_gpu, c.p, c.q);
        CHECK(gpu.shape() == cpu.shape());
        check_cuda_matches(c.name, gpu, cpu, atol, rtol);
      };

      // Contiguous, 37 * 53 = 1961 elements: not a multiple of the 256-thread block.
      Tensor x = unary_input(c, {37, 53}, dtype, 100);
      run(x, to_cuda(x));
      // A transposed view of [53, 37] storage.
      Tensor xt = unary_input(c, {53, 37}, dtype, 101);
      Tensor xt_gpu = raw::transpose(to_cuda(xt), 0, 1);
      REQUIRE_FALSE(xt_gpu.is_contiguous());
      run(raw::transpose(xt, 0, 1), xt_gpu);
      // A slice every other column, and a broadcast row (stride 0 over 37 rows).
      Tensor wide = unary_input(c, {11, 40}, dtype, 102);
      run(raw::narrow(wide, 1, 3, 29), raw::narrow(to_cuda(wide), 1, 3, 29));
      Tensor row = unary_input(c, {1, 53}, dtype, 103);
      run(raw::expand(row, {37, 53}), raw::expand(to_cuda(row), {37, 53}));
      // Size-1 dims, a 0-dim tensor and an empty one.
      Tensor ones_dims = unary_input(c, {1, 1, 7}, dtype, 104);
      run(ones_dims, to_cuda(ones_dims));
      Tensor s = unary_input(c, {}, dtype, 105);
      run(s, to_cuda(s));
      Tensor e = empty({0, 5}, dtype);
      run(e, to_cuda(e));
    }
  }
}

TEST_CASE("cuda/unary_special_values") {
  if (skip_without_gpu()) return;
  const double inf = INFINITY, nan = NAN;
  // exp overflows at 200 and underflows to 0 at -200 in float32 (and stays finite in float64).
  const std::vector<double> values = {nan, inf, -inf, 0.0, -0.0, 1.0, -1.0, 0.5, 200.0, -200.0};
  for (DType dtype : {DType::Float32, DType::Float64}) {
    CAPTURE(dtype_name(dtype));
    Tensor x = from_vector(values, {static_cast<int64_t>(values.size())}, dtype);
    Tensor x_gpu = to_cuda(x);
    for (const UnaryCase& c : kUnaryCases) {
      CAPTURE(c.p);
      check_same_specials(c.name, raw::unary(c.op, x_gpu, c.p, c.q), raw::unary(c.op, x, c.p, c.q),
                          unary_rtol(c, dtype));
    }
  }
}

TEST_CASE("cuda/where_matches_cpu") {
  if (skip_without_gpu()) return;
  for (DType dtype : {DType::Float32, DType::Float64, DType::Int64}) {
    CAPTURE(dtype_name(dtype));
    auto values = [&](const Shape& shape, uint64_t seed) {
      Tensor t = test::uniform(shape, -3, 3, seed);
      return raw::to_dtype(t, dtype);  // Int64 truncates: about a third of cond is 0
    };
    // cond [37, 1] broadcasts over columns, a is transposed, b [53] broadcasts over rows.
    Tensor cond = values({37, 1}, 200), a_storage = values({53, 37}, 201), b = values({53}, 202);
    Tensor a = raw::transpose(a_storage, 0, 1);
    Tensor a_gpu = raw::transpose(to_cuda(a_storage), 0, 1);
    Tensor cpu = raw::where(cond, a, b), gpu = raw::where(to_cuda(cond), a_gpu, to_cuda(b));
    CHECK(gpu.shape() == Shape{37, 53});
    // Exact: the kernel only moves values.
    check_cuda_matches("where", gpu, cpu, 0, 0);

    Tensor full_cond = values({37, 53}, 203);
    check_cuda_matches("where", raw::where(to_cuda(full_cond), a_gpu, to_cuda(b)),
                       raw::where(full_cond, a, b), 0, 0);
    Tensor e = empty({0, 3}, dtype);
    CHECK(raw::where(to_cuda(e), to_cuda(e), to_cuda(e)).numel() == 0);
  }
  // NaN is nonzero: it selects a.
  Tensor cond = from_vector({NAN, 0, 1}, {3});
  Tensor a = from_vector({1, 2, 3}, {3}), b = from_vector({7, 8, 9}, {3});
  check_cuda_matches("where", raw::where(to_cuda(cond), to_cuda(a), to_cuda(b)),
                     raw::where(cond, a, b), 0, 0);
}

TEST_CASE("cuda/add_inplace_matches_cpu") {
  if (skip_without_gpu()) return;
  const double alpha = -0.37;
  for (DType dtype : {DType::Float32, DType::Float64}) {
    CAPTURE(dtype_name(dtype));
    Tensor src_row = test::randn({53}, 301, dtype);
    // dst + alpha * src: the GPU rounds once (fma); so does the CPU where GCC contracts it into an
    // FMA, else it rounds alpha * src first. One rounding of alpha * src at most, hence atol, and
    // one of the result, hence rtol.
    const double atol = ulp(dtype) * std::fabs(alpha) * max_abs(src_row), rtol = ulp(dtype);

    // A contiguous dst, src [53] broadcast over its rows.
    Tensor dst = test::randn({37, 53}, 300, dtype);
    Tensor dst_gpu = to_cuda(dst);
    raw::add_(dst, src_row, alpha);
    raw::add_(dst_gpu, to_cuda(src_row), alpha);
    check_cuda_matches("add_", dst_gpu, dst, atol, rtol);

    // A sliced, transposed dst: only its elements change, the rest of the storage stays.
    Tensor storage = test::randn({60, 37}, 302, dtype);
    Tensor storage_gpu = to_cuda(storage);
    Tensor src_t = raw::transpose(test::randn({53, 37}, 303, dtype), 0, 1);
    Tensor src_t_gpu = raw::transpose(to_cuda(raw::transpose(src_t, 0, 1)), 0, 1);
    raw::add_(raw::transpose(raw::narrow(storage, 0, 4, 53), 0, 1), src_t, alpha);
    raw::add_(raw::transpose(raw::narrow(storage_gpu, 0, 4, 53), 0, 1), src_t_gpu, alpha);
    check_cuda_matches("add_", storage_gpu, storage, ulp(dtype) * std::fabs(alpha) * max_abs(src_t),
                       rtol);

    // A 0-dim dst and an empty one.
    Tensor s = scalar(1.25, dtype), s_gpu = to_cuda(s);
    raw::add_(s, scalar(0.5, dtype), alpha);
    raw::add_(s_gpu, to_cuda(scalar(0.5, dtype)), alpha);
    check_cuda_matches("add_", s_gpu, s, atol, rtol);
    Tensor e_gpu = empty({0, 4}, dtype, Device::CUDA);
    raw::add_(e_gpu, empty({4}, dtype, Device::CUDA), alpha);
    CHECK(e_gpu.numel() == 0);
  }
}

TEST_CASE("cuda/mul_inplace_matches_cpu") {
  if (skip_without_gpu()) return;
  for (DType dtype : {DType::Float32, DType::Float64}) {
    CAPTURE(dtype_name(dtype));
    // Exact: one correctly rounded product on both devices.
    Tensor x = test::randn({37, 53}, 400, dtype), x_gpu = to_cuda(x);
    raw::mul_(x, 0.7);
    raw::mul_(x_gpu, 0.7);
    check_cuda_matches("mul_", x_gpu, x, 0, 0);
    // A column slice: the other columns stay.
    Tensor y = test::randn({37, 53}, 401, dtype), y_gpu = to_cuda(y);
    raw::mul_(raw::narrow(y, 1, 5, 17), -3.1);
    raw::mul_(raw::narrow(y_gpu, 1, 5, 17), -3.1);
    check_cuda_matches("mul_", y_gpu, y, 0, 0);
  }
}

TEST_CASE("cuda/elementwise_edge_shapes_and_grid_stride") {
  if (skip_without_gpu()) return;
  // 2^24 + 3 elements: more than the 65536 blocks of 256 threads one launch covers, so the
  // grid-stride loop must pick up the rest (every kernel here shares it). Exact ops, so a missed
  // element shows.
  const int64_t n = (int64_t(1) << 24) + 3;
  Tensor a = test::uniform({n}, -1, 1, 500, DType::Float32);
  Tensor b = test::uniform({n}, -1, 1, 501, DType::Float32);
  Tensor a_gpu = to_cuda(a), b_gpu = to_cuda(b);
  check_cuda_matches("add", raw::add(a_gpu, b_gpu), raw::add(a, b), 0, 0);
  raw::add_(a, b, 0.5);  // 0.5 * b is exact, so the fma question does not arise
  raw::add_(a_gpu, b_gpu, 0.5);
  check_cuda_matches("add_", a_gpu, a, 0, 0);

  // Binary ops on 0-dim, empty and size-1-dim operands.
  Tensor s = scalar(2.5, DType::Float64), v = test::randn({1, 7, 1}, 502, DType::Float64);
  check_cuda_matches("mul", raw::mul(to_cuda(s), to_cuda(v)), raw::mul(s, v), 0, 0);
  check_cuda_matches("sub", raw::sub(to_cuda(s), to_cuda(s)), raw::sub(s, s), 0, 0);
  Tensor e = empty({3, 0}, DType::Float64);
  Tensor e_out = raw::add(to_cuda(e), to_cuda(scalar(1.0, DType::Float64)));
  CHECK(e_out.shape() == Shape{3, 0});
  CHECK(e_out.device() == Device::CUDA);
}
