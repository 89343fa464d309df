// sgd_step's kernel against the raw-op composition it replaces (raw::add_, raw::mul_), bit for bit.
#include <cmath>
#include <vector>

#include "autograd/ops.h"
#include "nn/optim.h"
#include "tests/test_util.h"

using namespace bcl;
using test::check_equal;

namespace {

// SGD::step's update before the fusion, for one parameter: raw ops, one pass each.
void sgd_step_by_composition(const Tensor& p, const Tensor& grad, Tensor& buf,
                             const nn::SGDOptions& o) {
  Tensor d = grad;
  if (o.weight_decay != 0) {
    d = raw::clone(grad);
    raw::add_(d, p, o.weight_decay);
  }
  if (o.momentum != 0) {
    if (!buf.defined()) {
      buf = raw::clone(d);
    } else {
      raw::mul_(buf, o.momentum);
      raw::add_(buf, d);
    }
    if (o.nesterov) {
      if (d.same(grad)) d = raw::clone(grad);
      raw::add_(d, buf, o.momentum);
    } else {
      d = buf;
    }
  }
  raw::add_(p, d, -o.lr);
}

}  // namespace

TEST_CASE("sgd_step/matches_composition_bitwise") {
  // 70001 elements pass the parallel threshold and end in a partial chunk; 3 do neither.
  const std::vector<nn::SGDOptions> all_options = {{0.1, 0.0, 0.0, false}, {0.1, 0.0, 5e-4, false},
                                                   {0.1, 0.9, 0.0, false}, {0.1, 0.9, 5e-4, false},
                                                   {0.1, 0.9, 0.0, true},  {0.05, 0.9, 1e-4, true}};
  for (DType dtype : {DType::Float32, DType::Float64}) {
    for (int64_t n : {int64_t{3}, int64_t{70001}}) {
      for (const nn::SGDOptions& o : all_options) {
        CAPTURE(dtype_name(dtype));
        CAPTURE(n);
        CAPTURE(o.momentum);
        CAPTURE(o.weight_decay);
        CAPTURE(o.nesterov);
        Tensor init = test::randn({n}, 41, dtype);
        Tensor p = test::param(raw::clone(init));
        Tensor p_ref = raw::clone(init);
        Tensor buf_ref;
        nn::SGD sgd({{"w", p}}, o);
        for (int step = 0; step < 4; ++step) {
          CAPTURE(step);
          Tensor g = test::randn({n}, 42 + step, dtype);
          p.set_grad(g);
          sgd.step();
          sgd_step_by_composition(p_ref, g, buf_ref, o);
          CHECK(g.to_vector() == test::randn({n}, 42 + step, dtype).to_vector());  // read only
          check_equal(p, p_ref);
          if (o.momentum != 0) check_equal(sgd.state_dict().at("momentum.w"), buf_ref);
        }
      }
    }
  }
}

TEST_CASE("sgd_step/strided_gradient_and_parameter") {
  // A transposed gradient goes through the fused kernel (read through a contiguous copy); a
  // transposed parameter takes the raw-op path. Both must give the composition's values.
  const nn::SGDOptions o{0.1, 0.9, 5e-4, true};
  Tensor g_storage = test::randn({5, 4}, 51);
  Tensor g = raw::transpose(g_storage, 0, 1);  // [4, 5]
  Tensor init = test::randn({4, 5}, 52);

  Tensor p = test::param(raw::clone(init));
  Tensor p_ref = raw::clone(init);
  Tensor buf_ref;
  nn::SGD sgd({{"w", p}}, o);
  for (int step = 0; step < 2; ++step) {
    p.set_grad(g);
    sgd.step();
    sgd_step_by_composition(p_ref, g, buf_ref, o);
  }
  check_equal(p, p_ref);

  Tensor q_storage = raw::clone(raw::transpose(init, 0, 1));  // [5, 4]
  Tensor q = test::param(raw::transpose(q_storage, 0, 1));    // [4, 5], not contiguous
  REQUIRE_FALSE(q.is_contiguous());
  nn::SGD sgd_q({{"w", q}}, o);
  for (int step = 0; step < 2; ++step) {
    q.set_grad(g);
    sgd_q.step();
  }
  check_equal(q, p_ref);
}

TEST_CASE("sgd_step/errors") {
  Tensor p = zeros({3}, DType::Float64);
  raw::SgdStepParams s;
  s.lr = 0.1;
  s.momentum = 0.9;
  CHECK_THROWS_WITH_AS(raw::sgd_step_(p, zeros({3}, DType::Float64), Tensor(), s),
                       doctest::Contains("sgd_step_: the momentum buffer must be contiguous"),
                       Error);
  CHECK_THROWS_WITH_AS(raw::sgd_step_(p, zeros({3}), zeros({3}, DType::Float64), s),
                       doctest::Contains("sgd_step_: grad is float32"), Error);
  CHECK_THROWS_WITH_AS(
      raw::sgd_step_(raw::transpose(zeros({2, 3}), 0, 1), zeros({3, 2}), zeros({3, 2}), s),
      doctest::Contains("sgd_step_: the parameter must be contiguous"), Error);
}
