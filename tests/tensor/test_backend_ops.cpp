// Every registered kernel against a reference, from one table (in the manner of ggml's
// test-backend-ops).
//
// The rows below say, for each dispatch table, how to run its op through the raw:: front-end on
// shared seeded inputs (made in float64, then converted to the kernel's dtype and device), which
// reference judges it, and the tolerance. The test walks the registry (tensor/dispatch.h): every
// (op, device, dtype, instruction set) that some kernel file registered is run under
// ScopedIsaLimit(its set), so each variant is the one picked, and compared:
//   - with the op's plain reference kernel in float64 where it has one (matmul, conv2d,
//     batch_norm: the *_reference tables);
//   - else with the generic CPU kernel in float64. That kernel is then the reference itself; its
//     own tests check it against definitions and PyTorch (the op map lists them).
// A registered table without a row fails the suite, and so does a row for a table that is gone.
// CUDA rows run only where a GPU is present; each records its worst error in the table that
// scripts/device_check.sh collects (BCL_CUDA_ERRORS_JSON), so a first GPU run tells which kernel
// is wrong.
#include <cmath>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "data/augment_batch.h"
#include "tensor/dispatch.h"
#include "tensor/ops.h"
#include "tests/tensor/cuda_test_util.h"
#include "tests/test_util.h"

using namespace bcl;

namespace {

// Where and in what a row runs: inputs are converted to `dtype` on `device`. `kind` is the dtype
// of the kernel being judged, which a reference run (in float64) needs to know too: Int64 kernels
// see only whole numbers and exact ops, bf16 convolutions rounded operands and no bias.
struct Ctx {
  Device device;
  DType dtype;
  DType kind;
};

using Outputs = std::vector<Tensor>;

struct Tolerance {
  double atol, rtol;
};

// One row: the op of a dispatch table.
struct Row {
  std::string table;
  // Runs the op on ctx; every output comes back as a CPU tensor (any dtype).
  std::function<Outputs(const Ctx&)> run;
  // The reference outputs in float64 for a kernel of dtype `kind`, or empty: the generic CPU
  // float64 kernel is the reference.
  std::function<Outputs(DType kind)> reference = nullptr;
  Tolerance f32{1e-5, 1e-5}, f64{1e-12, 1e-10}, bf16{0, 0};
  // The generic CPU kernel of every dtype is the reference (kernels whose output does not depend
  // on the key's dtype: the augmentations' draws and renders).
  bool cpu_is_reference = false;
};

// ---- Inputs -------------------------------------------------------------------------------------

Tensor randn64(const Shape& shape, uint64_t seed, double scale = 1.0) {
  return raw::mul_scalar(test::randn(shape, seed), scale);
}
// Whole numbers in [-k, k], so that Int64 kernels see the same values as the float ones.
Tensor integers64(const Shape& shape, uint64_t seed, double k = 9) {
  Tensor u = test::uniform(shape, -k - 0.5, k + 0.5, seed);
  std::vector<double> v = u.to_vector();
  for (double& x : v) x = std::round(x);
  return from_vector(v, shape, DType::Float64);
}
Tensor labels(const std::vector<double>& v, Device device = Device::CPU) {
  return raw::to_device(from_vector(v, {static_cast<int64_t>(v.size())}, DType::Int64), device);
}
// x (float64, CPU) as the kernel under test takes it.
Tensor in(const Tensor& x, const Ctx& c) {
  return raw::to_device(raw::to_dtype(x, c.dtype), c.device);
}
Tensor back(const Tensor& t) {
  return t.defined() ? raw::to_device(t, Device::CPU) : t;
}
// A float64 run on the CPU for a kernel of dtype `kind`.
Ctx cpu64(DType kind) {
  return {Device::CPU, DType::Float64, kind};
}

// The convolutions the rows run: 3x3 same, strided, grouped, 1x1, and a 16-channel 3x3 (the
// direct kernel's shape).
struct ConvCase {
  Shape x, w;
  Conv2dParams p;
};
const std::vector<ConvCase>& conv_cases() {
  static const std::vector<ConvCase> cases = {
      {{2, 3, 7, 7}, {4, 3, 3, 3}, test::conv(1, 1, 1)},
      {{2, 4, 9, 8}, {6, 4, 3, 3}, test::conv(2, 1, 1)},
      {{1, 4, 6, 6}, {4, 2, 3, 3}, test::conv(1, 1, 2)},
      {{3, 5, 4, 4}, {7, 5, 1, 1}, test::conv(1, 0, 1)},
      {{2, 16, 8, 8}, {16, 16, 3, 3}, test::conv(1, 1, 1)},
  };
  return cases;
}
Shape conv_out(const ConvCase& k) {
  const int64_t ho = (k.x[2] + 2 * k.p.pad_h - k.w[2]) / k.p.stride_h + 1;
  const int64_t wo = (k.x[3] + 2 * k.p.pad_w - k.w[3]) / k.p.stride_w + 1;
  return {k.x[0], k.w[0], ho, wo};
}
// bf16 operands are rounded, so the reference convolves the rounded values.
Tensor rounded(const Tensor& x64, DType dtype) {
  return dtype == DType::BFloat16 ? raw::to_dtype(raw::to_dtype(x64, dtype), DType::Float64) : x64;
}

// The batch-norm inputs: x [4, 3, 5, 5], gamma, beta, running statistics.
struct BnInputs {
  Tensor x, gamma, beta, mean, var, dy;
};
BnInputs bn_inputs() {
  return {randn64({4, 3, 5, 5}, 41, 2.0),
          randn64({3}, 42),
          randn64({3}, 43),
          randn64({3}, 44),
          raw::add_scalar(test::uniform({3}, 0, 1, 45), 0.5),
          randn64({4, 3, 5, 5}, 46)};
}

// The contrastive layout: M = 2 N anchors, K = M + C columns.
struct ContrastiveInputs {
  Tensor logits, labels, grad;
  int64_t c;
};
std::vector<ContrastiveInputs> contrastive_inputs() {
  return {
      {randn64({12, 12}, 51, 3.0), labels({0, 1, 1, 2, 0, 2}), randn64({12}, 52), 0},
      {randn64({12, 15}, 53, 3.0), labels({0, 1, 1, 2, 0, 2}), randn64({12}, 54), 3},
      {randn64({20, 25}, 55, 10.0), labels({0, 4, 1, 1, 0, 3, 3, 0, 1, 1}), randn64({20}, 56), 5}};
}

// ---- The augmentation rows ----------------------------------------------------------------------
// The CPU kernels are the reference: tests/data/test_gpu_views.cpp and test_augment_batch.cpp
// check them against the data loader's per-image path, which shares their draws and pixel code.
// A CUDA draw equals the CPU's but in the last bits of a transcendental function, which may move
// a box side by one pixel: the draws are compared as whole numbers, with tolerance 1 (a wrong
// stream or op differs by far more). Renders of the same params are compared bit for bit.

augment::PackedImages test_images(Device device) {
  std::vector<uint8_t> pixels(6 * 12 * 10 * 3);
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<uint8_t>((i * 37 + 11) % 251);
  return augment::pack_images(pixels.data(), 6, 12, 10, device);
}
Tensor test_indices(Device device) {
  return labels({5, 0, 3, 3, 1, 4, 2}, device);
}
const augment::SampleKey kKey{7, 2, 1};

template <class Config>
Row augment_rows_draw(const Config& cfg, Tensor (*draw)(const Tensor&, const augment::SampleKey&,
                                                        const Config&, int64_t, int64_t)) {
  Row r;
  r.table = std::string("augment_draw_") + Config::kView;
  r.run = [cfg, draw](const Ctx& c) -> Outputs {
    return {back(draw(test_indices(c.device), kKey, cfg, 12, 10))};
  };
  r.f32 = r.f64 = {1, 0};  // Int64 params: see above
  r.cpu_is_reference = true;
  return r;
}

template <class Config>
Row augment_rows_render(const Config& cfg,
                        Tensor (*draw)(const Tensor&, const augment::SampleKey&, const Config&,
                                       int64_t, int64_t),
                        Tensor (*render)(const augment::PackedImages&, const Tensor&, const Tensor&,
                                         const Config&, const augment::ChannelNorm&)) {
  Row r;
  r.table = std::string("augment_render_") + Config::kView;
  r.run = [cfg, draw, render](const Ctx& c) -> Outputs {
    // The params are drawn on the CPU and copied, so both devices render the same ones.
    const Tensor params = draw(test_indices(Device::CPU), kKey, cfg, 12, 10);
    const augment::ChannelNorm norm;
    return {back(render(test_images(c.device), test_indices(c.device),
                        raw::to_device(params, c.device), cfg, norm))};
  };
  r.f32 = {0, 0};
  r.cpu_is_reference = true;
  return r;
}

// ---- The table ----------------------------------------------------------------------------------

std::vector<Row> make_rows() {
  std::vector<Row> rows;
  auto add = [&rows](Row r) { rows.push_back(std::move(r)); };

  // Elementwise. Int64 kernels see whole numbers; Div only on floats, with nonzero divisors.
  add({"binary", [](const Ctx& c) {
         const Tensor a = in(integers64({3, 1, 5}, 1), c), b = in(integers64({4, 5}, 2), c);
         Outputs out;
         for (raw::BinaryOp op :
              {raw::BinaryOp::Add, raw::BinaryOp::Sub, raw::BinaryOp::Mul, raw::BinaryOp::Maximum,
               raw::BinaryOp::Minimum, raw::BinaryOp::Eq, raw::BinaryOp::Ne, raw::BinaryOp::Lt,
               raw::BinaryOp::Le, raw::BinaryOp::Gt, raw::BinaryOp::Ge, raw::BinaryOp::ReluGrad})
           out.push_back(back(raw::binary(op, a, b)));
         if (c.kind != DType::Int64) {
           const Tensor d = in(raw::add_scalar(test::uniform({4, 5}, 1, 3, 3), 0.0), c);
           out.push_back(back(raw::div(in(randn64({3, 4, 5}, 4), c), d)));
           out.push_back(back(raw::add(raw::transpose(in(randn64({5, 4}, 5), c), 0, 1), d)));
         }
         return out;
       }});
  add({"unary", [](const Ctx& c) {
         const Tensor x = in(randn64({7, 9}, 6, 2.0), c);
         const Tensor pos = in(test::uniform({7, 9}, 0.1, 4, 7), c);
         Outputs out;
         for (raw::UnaryOp op :
              {raw::UnaryOp::Neg, raw::UnaryOp::Exp, raw::UnaryOp::Relu, raw::UnaryOp::Step,
               raw::UnaryOp::Abs, raw::UnaryOp::AddScalar, raw::UnaryOp::MulScalar,
               raw::UnaryOp::Clamp, raw::UnaryOp::InRange})
           out.push_back(back(raw::unary(op, x, -0.5, 0.75)));
         for (raw::UnaryOp op :
              {raw::UnaryOp::Log, raw::UnaryOp::Sqrt, raw::UnaryOp::Rsqrt, raw::UnaryOp::PowScalar})
           out.push_back(back(raw::unary(op, pos, 1.5)));
         return out;
       }});
  add({"where", [](const Ctx& c) {
         const Tensor cond = in(raw::gt(randn64({4, 1}, 8), scalar(0.0, DType::Float64)), c);
         return Outputs{
             back(raw::where(cond, in(integers64({4, 6}, 9), c), in(integers64({6}, 10), c)))};
       }});
  add({"add_", [](const Ctx& c) {
         Tensor dst = in(randn64({5, 6}, 11), c);
         raw::add_(dst, in(randn64({6}, 12), c), 0.5);
         return Outputs{back(dst)};
       }});
  add({"mul_", [](const Ctx& c) {
         Tensor dst = in(randn64({5, 6}, 13), c);
         raw::mul_(dst, 0.7);
         return Outputs{back(dst)};
       }});

  // Reductions: several dims, a long row (8 lanes and a tail), whole numbers for Int64.
  add({"sum",
       [](const Ctx& c) {
         const Tensor x = in(integers64({4, 5, 6}, 14), c), y = in(integers64({3, 1003}, 15), c);
         return Outputs{back(raw::sum(x, {1})), back(raw::sum(x, {0, 2}, true)), back(raw::sum(x)),
                        back(raw::sum(y, {1}))};
       },
       {},
       {1e-5, 1e-6}});
  add({"max", [](const Ctx& c) {
         const Tensor x = in(integers64({4, 5, 6}, 16, 50), c);
         const raw::MaxResult m = raw::max(x, 1);
         return Outputs{back(m.values), back(m.indices), back(raw::max_all(x))};
       }});

  // Indexing.
  add({"index_select", [](const Ctx& c) {
         const Tensor x = in(integers64({6, 4}, 17), c);
         return Outputs{back(raw::index_select(x, 0, labels({3, 0, 5, 5}, c.device))),
                        back(raw::index_select(x, 1, labels({2, 2, 0}, c.device)))};
       }});
  add({"index_add", [](const Ctx& c) {
         return Outputs{back(raw::index_add({6, 4}, 0, labels({3, 0, 5, 3}, c.device),
                                            in(integers64({4, 4}, 18), c)))};
       }});
  add({"gather_labels", [](const Ctx& c) {
         return Outputs{back(
             raw::gather_labels(in(integers64({5, 7}, 19), c), labels({6, 0, 3, 3, 1}, c.device)))};
       }});
  add({"scatter_labels", [](const Ctx& c) {
         return Outputs{back(raw::scatter_labels(in(integers64({5}, 20), c),
                                                 labels({6, 0, 3, 3, 1}, c.device), 7))};
       }});
  add({"one_hot", [](const Ctx& c) {
         return Outputs{back(raw::one_hot(labels({6, 0, 3, 3, 1}, c.device), 7, c.dtype))};
       }});

  // Matrix products, against matmul_reference in float64.
  auto matmul_run = [](Tensor (*op)(const Tensor&, const Tensor&)) {
    return [op](const Ctx& c) {
      return Outputs{back(op(in(randn64({5, 7}, 21), c), in(randn64({7, 3}, 22), c))),
                     back(op(in(randn64({2, 5, 7}, 23), c), in(randn64({7, 3}, 24), c))),
                     back(op(raw::transpose(in(randn64({7, 5}, 25), c), 0, 1),
                             in(randn64({2, 7, 3}, 26), c)))};
    };
  };
  auto matmul_reference = [matmul_run](DType kind) {
    return matmul_run(&raw::matmul_reference)(cpu64(kind));
  };
  add({"matmul", matmul_run(&raw::matmul), matmul_reference, {1e-5, 1e-4}});
  add({"matmul_reference", matmul_run(&raw::matmul_reference), {}, {1e-5, 1e-4}});

  // Convolutions, against the seven-loop reference in float64.
  auto conv_run = [](bool reference) {
    return [reference](const Ctx& c) {
      Outputs out;
      uint64_t seed = 30;
      for (const ConvCase& k : conv_cases()) {
        const Tensor x = rounded(randn64(k.x, seed++), c.kind);
        const Tensor w = rounded(randn64(k.w, seed++, 0.3), c.kind);
        const Tensor b = randn64({k.w[0]}, seed++);
        // bf16 kernels take no bias (the model's convolutions have none).
        const Tensor bias = c.kind == DType::BFloat16 ? Tensor() : in(b, c);
        out.push_back(back(reference ? raw::conv2d_reference(in(x, c), in(w, c), bias, k.p)
                                     : raw::conv2d(in(x, c), in(w, c), bias, k.p)));
      }
      return out;
    };
  };
  auto conv_grad_run = [](bool weight, bool reference) {
    return [weight, reference](const Ctx& c) {
      Outputs out;
      uint64_t seed = 60;
      for (const ConvCase& k : conv_cases()) {
        const Tensor x = rounded(randn64(k.x, seed++), c.kind);
        const Tensor w = rounded(randn64(k.w, seed++, 0.3), c.kind);
        const Tensor dy = rounded(randn64(conv_out(k), seed++), c.kind);
        if (weight) {
          out.push_back(
              back(reference ? raw::conv2d_backward_weight_reference(in(dy, c), in(x, c), k.w, k.p)
                             : raw::conv2d_backward_weight(in(dy, c), in(x, c), k.w, k.p)));
        } else {
          out.push_back(
              back(reference ? raw::conv2d_backward_input_reference(in(dy, c), in(w, c), k.x, k.p)
                             : raw::conv2d_backward_input(in(dy, c), in(w, c), k.x, k.p)));
        }
      }
      return out;
    };
  };
  // The reference of a bf16 row convolves the bf16-rounded operands in float64; the row's sums
  // are float32 and its output is rounded to bf16 (2^-8 relative).
  const Tolerance conv32{1e-4, 1e-4}, conv16{2e-2, 1e-2};
  add({"conv2d",
       conv_run(false),
       [conv_run](DType kind) { return conv_run(true)(cpu64(kind)); },
       conv32,
       {1e-12, 1e-10},
       conv16});
  add({"conv2d_backward_input",
       conv_grad_run(false, false),
       [conv_grad_run](DType kind) { return conv_grad_run(false, true)(cpu64(kind)); },
       conv32,
       {1e-12, 1e-10},
       conv16});
  add({"conv2d_backward_weight",
       conv_grad_run(true, false),
       [conv_grad_run](DType kind) { return conv_grad_run(true, true)(cpu64(kind)); },
       conv32,
       {1e-12, 1e-10},
       conv16});
  add({"conv2d_reference", conv_run(true), {}, conv32});
  add({"conv2d_backward_input_reference", conv_grad_run(false, true), {}, conv32});
  add({"conv2d_backward_weight_reference", conv_grad_run(true, true), {}, conv32});

  // Batch normalisation, against its reference kernels in float64.
  auto bn_train = [](bool reference) {
    return [reference](const Ctx& c) {
      const BnInputs b = bn_inputs();
      Tensor mean = in(b.mean, c), var = in(b.var, c);
      const raw::BatchNormOutput o =
          reference ? raw::batch_norm_train_reference(in(b.x, c), in(b.gamma, c), in(b.beta, c),
                                                      mean, var, 0.1, 1e-5)
                    : raw::batch_norm_train(in(b.x, c), in(b.gamma, c), in(b.beta, c), mean, var,
                                            0.1, 1e-5);
      return Outputs{back(o.out), back(o.save_mean), back(o.save_invstd), back(mean), back(var)};
    };
  };
  auto bn_backward = [](bool reference) {
    return [reference](const Ctx& c) {
      const BnInputs b = bn_inputs();
      const raw::BatchNormOutput o =
          raw::batch_norm_train_reference(b.x, b.gamma, b.beta, Tensor(), Tensor(), 0.1, 1e-5);
      const raw::BatchNormGrads g =
          reference ? raw::batch_norm_backward_reference(in(b.dy, c), in(b.x, c), in(b.gamma, c),
                                                         in(o.save_mean, c), in(o.save_invstd, c))
                    : raw::batch_norm_backward(in(b.dy, c), in(b.x, c), in(b.gamma, c),
                                               in(o.save_mean, c), in(o.save_invstd, c));
      return Outputs{back(g.grad_input), back(g.grad_gamma), back(g.grad_beta)};
    };
  };
  add({"batch_norm_train",
       bn_train(false),
       [bn_train](DType kind) { return bn_train(true)(cpu64(kind)); },
       {1e-4, 1e-4}});
  add({"batch_norm_train_reference", bn_train(true), {}, {1e-4, 1e-4}});
  add({"batch_norm_backward",
       bn_backward(false),
       [bn_backward](DType kind) { return bn_backward(true)(cpu64(kind)); },
       {1e-4, 1e-4}});
  add({"batch_norm_backward_reference", bn_backward(true), {}, {1e-4, 1e-4}});
  add({"batch_norm_eval", [](const Ctx& c) {
         const BnInputs b = bn_inputs();
         return Outputs{back(raw::batch_norm_eval(in(b.x, c), in(b.gamma, c), in(b.beta, c),
                                                  in(b.mean, c), in(b.var, c), 1e-5))};
       }});

  // Pooling: overlapping windows with padding, on an odd size.
  const Pool2dParams pool = test::pool(3, 2, 1);
  add({"max_pool2d", [pool](const Ctx& c) {
         const raw::MaxPoolOutput o = raw::max_pool2d(in(randn64({2, 3, 9, 9}, 70), c), pool);
         return Outputs{back(o.out), back(o.indices)};
       }});
  add({"max_pool2d_backward", [pool](const Ctx& c) {
         const raw::MaxPoolOutput o = raw::max_pool2d(randn64({2, 3, 9, 9}, 70), pool);
         return Outputs{back(raw::max_pool2d_backward(
             in(randn64({2, 3, 5, 5}, 71), c), raw::to_device(o.indices, c.device), {2, 3, 9, 9}))};
       }});
  add({"avg_pool2d", [pool](const Ctx& c) {
         return Outputs{back(raw::avg_pool2d(in(randn64({2, 3, 9, 9}, 72), c), pool))};
       }});
  add({"avg_pool2d_backward", [pool](const Ctx& c) {
         return Outputs{
             back(raw::avg_pool2d_backward(in(randn64({2, 3, 5, 5}, 73), c), {2, 3, 9, 9}, pool))};
       }});

  // Softmax and the losses' fused kernels.
  add({"log_softmax", [](const Ctx& c) {
         const Tensor x = in(randn64({6, 11}, 74, 4.0), c);
         return Outputs{back(raw::log_softmax(x, 1)), back(raw::log_softmax(x, 0))};
       }});
  add({"log_softmax_backward", [](const Ctx& c) {
         const Tensor y = raw::log_softmax(randn64({6, 11}, 74, 4.0), 1);
         return Outputs{back(raw::log_softmax_backward(in(randn64({6, 11}, 75), c), in(y, c), 1))};
       }});
  auto ce_inputs = [](const Ctx& c, bool offset) {
    return std::make_tuple(in(randn64({9, 10}, 76, 5.0), c),
                           labels({0, 9, 3, 3, 1, 2, 8, 7, 5}, c.device),
                           offset ? in(randn64({10}, 77), c) : Tensor());
  };
  add({"cross_entropy_forward", [ce_inputs](const Ctx& c) {
         Outputs out;
         for (bool offset : {false, true}) {
           const auto [z, y, o] = ce_inputs(c, offset);
           const raw::CrossEntropyParts p = raw::cross_entropy_forward(z, y, o);
           for (const Tensor& t : {p.nll, p.row_max, p.log_sum}) out.push_back(back(t));
         }
         return out;
       }});
  add({"cross_entropy_backward", [ce_inputs](const Ctx& c) {
         Outputs out;
         for (bool offset : {false, true}) {
           const auto [z, y, o] = ce_inputs(c, offset);
           const raw::CrossEntropyParts p = raw::cross_entropy_forward(z, y, o);
           out.push_back(back(raw::cross_entropy_backward(in(randn64({9}, 78), c), 0.5, z, y, o,
                                                          p.row_max, p.log_sum)));
         }
         return out;
       }});
  add({"l2_normalize_last", [](const Ctx& c) {
         const raw::L2NormalizeParts p = raw::l2_normalize_last(in(randn64({7, 33}, 79), c), 1e-12);
         return Outputs{back(p.out), back(p.denom)};
       }});
  add({"l2_normalize_last_backward", [](const Ctx& c) {
         const raw::L2NormalizeParts p = raw::l2_normalize_last(randn64({7, 33}, 79), 1e-12);
         return Outputs{back(raw::l2_normalize_last_backward(in(randn64({7, 33}, 80), c),
                                                             in(p.out, c), in(p.denom, c), 1e-12))};
       }});
  add({"sgd_step_", [](const Ctx& c) {
         Outputs out;
         for (bool nesterov : {false, true})
           for (bool first : {true, false}) {
             Tensor p = in(randn64({3, 70}, 81), c), buf = in(randn64({3, 70}, 82), c);
             raw::SgdStepParams s;
             s.lr = 0.1;
             s.momentum = 0.9;
             s.weight_decay = 5e-4;
             s.nesterov = nesterov;
             s.first_step = first;
             raw::sgd_step_(p, in(randn64({3, 70}, 83), c), buf, s);
             out.push_back(back(p));
             out.push_back(back(buf));
           }
         return out;
       }});
  // Sums of exp over up to 25 columns of logits up to ~40: float32 rounds at 1e-6 relative.
  auto contrastive_forward = [](const Ctx& c, bool counts) {
    Outputs out;
    for (const ContrastiveInputs& k : contrastive_inputs()) {
      const raw::ContrastiveParts p =
          raw::contrastive_forward(in(k.logits, c), raw::to_device(k.labels, c.device), k.c);
      if (counts) {
        if (p.class_count.defined()) out.push_back(back(p.class_count));
      } else {
        for (const Tensor& t : {p.loss, p.row_max, p.log_denom, p.positives})
          out.push_back(back(t));
      }
    }
    return out;
  };
  add({"contrastive_forward",
       [contrastive_forward](const Ctx& c) { return contrastive_forward(c, false); },
       {},
       {1e-5, 1e-5}});
  add({"contrastive_class_count",
       [contrastive_forward](const Ctx& c) { return contrastive_forward(c, true); },
       {},
       {0, 0}});
  add({"contrastive_backward",
       [](const Ctx& c) {
         Outputs out;
         for (const ContrastiveInputs& k : contrastive_inputs()) {
           const Tensor y = raw::to_device(k.labels, c.device), z = in(k.logits, c);
           const raw::ContrastiveParts p = raw::contrastive_forward(z, y, k.c);
           out.push_back(back(raw::contrastive_backward(in(k.grad, c), z, y, p)));
         }
         return out;
       },
       {},
       {1e-5, 1e-5}});

  // Copies and fills: conversions into every dtype, from a strided source.
  add({"copy", [](const Ctx& c) {
         const Tensor src = raw::transpose(integers64({5, 4}, 84), 0, 1);
         Tensor dst = raw::to_device(empty({4, 5}, c.dtype), c.device);
         raw::copy_(dst, raw::to_device(src, c.device));
         Tensor dst2 = raw::to_device(empty({4, 5}, c.dtype), c.device);
         raw::copy_(dst2, raw::to_device(raw::to_dtype(src, DType::Float32), c.device));
         return Outputs{back(dst), back(dst2)};
       }});
  add({"fill", [](const Ctx& c) {
         Tensor t = raw::to_device(empty({3, 7}, c.dtype), c.device);
         raw::fill_(t, 6.0);
         return Outputs{back(t)};
       }});
  // Philox: the same counters on both devices, each dtype its own stream (a float64 takes two
  // words), so every CPU kernel is its dtype's reference. Normal draws go through log and cos,
  // whose last bits may differ between libm and CUDA.
  Row random{"random",
             [](const Ctx& c) {
               Tensor u = raw::to_device(empty({1001}, c.dtype), c.device);
               Tensor n = raw::to_device(empty({1001}, c.dtype), c.device);
               Generator g1(90), g2(91);
               raw::uniform_(u, -2.0, 3.0, g1);
               raw::normal_(n, 0.5, 2.0, g2);
               return Outputs{back(u), back(n)};
             },
             {},
             {1e-5, 1e-5}};
  random.cpu_is_reference = true;
  add(random);

  // The batched augmentations (data/augment_batch.h).
  augment::CropFlipConfig crop_flip;
  crop_flip.size = 8;
  crop_flip.padding = 2;
  crop_flip.cutout = 3;
  augment::SimConfig sim;
  sim.size = 8;
  augment::AutoAugCutoutConfig autoaug = augment::autoaug_cutout_config(8);
  const uint8_t fill[3] = {120, 110, 100};
  augment::RandViewConfig rand_view = augment::rand_view_config(8, fill);
  augment::RandAugConfig randaug = augment::randaug_config(8, fill);
  add(augment_rows_draw(crop_flip, &augment::crop_flip_params));
  add(augment_rows_draw(sim, &augment::sim_params));
  add(augment_rows_draw(autoaug, &augment::autoaug_cutout_params));
  add(augment_rows_draw(rand_view, &augment::rand_view_params));
  add(augment_rows_draw(randaug, &augment::randaug_params));
  add(augment_rows_render(crop_flip, &augment::crop_flip_params, &augment::augment_crop_flip));
  add(augment_rows_render(sim, &augment::sim_params, &augment::augment_sim));
  add(augment_rows_render(autoaug, &augment::autoaug_cutout_params,
                          &augment::augment_autoaug_cutout));
  add(augment_rows_render(rand_view, &augment::rand_view_params, &augment::augment_rand_view));
  add(augment_rows_render(randaug, &augment::randaug_params, &augment::augment_randaug));
  return rows;
}

const std::map<std::string, Row>& table() {
  static const std::map<std::string, Row> rows = [] {
    std::map<std::string, Row> m;
    for (Row& r : make_rows()) m.emplace(r.table, std::move(r));
    return m;
  }();
  return rows;
}

Tolerance tolerance_for(const Row& r, DType dtype) {
  switch (dtype) {
    case DType::Float64:
      return r.f64;
    case DType::Float32:
      return r.f32;
    case DType::BFloat16:
      return r.bf16;
    default:
      return {r.f32.atol >= 1 ? r.f32.atol : 0, 0};  // Int64: exact (draws: see above)
  }
}

// Runs every registered kernel on `device` against its row's reference; returns how many ran.
int check_device(Device device) {
  int ran = 0;
  for (const DispatchTableBase* t : dispatch_tables()) {
    const auto it = table().find(t->op());
    if (it == table().end()) continue;  // reported by the registry case
    const Row& row = it->second;
    for (const KernelKey& key : t->keys()) {
      if (key.device != device) continue;
      const std::string name = std::string(t->op()) + "/" + device_name(key.device) + "/" +
                               dtype_name(key.dtype) + "/" + isa_name(key.isa);
      INFO("kernel ", name);
      if (static_cast<int>(key.isa) > static_cast<int>(host_isa())) {
        MESSAGE("not run here: ", name, " needs ", isa_name(key.isa));
        continue;
      }
      const bool is_reference = !row.reference && device == Device::CPU &&
                                key.isa == Isa::Generic &&
                                (key.dtype == DType::Float64 || row.cpu_is_reference);
      if (is_reference) continue;  // the plain kernel others are judged against
      Outputs expected;
      {
        const ScopedIsaLimit generic(Isa::Generic);
        expected = row.reference ? row.reference(key.dtype) : row.run(cpu64(key.dtype));
      }
      // Outputs in an integer dtype (indices, draws) keep theirs; floats compare in the kernel's.
      // A CUDA row is judged against the CPU kernel of its own dtype when the reference is the
      // plain CPU kernel, so both sides round alike.
      if (device == Device::CUDA && !row.reference && key.dtype != DType::Float64) {
        const ScopedIsaLimit generic(Isa::Generic);
        expected = row.run({Device::CPU, key.dtype, key.dtype});
      }
      Outputs got;
      {
        const ScopedIsaLimit limit(key.isa);
        got = row.run({device, key.dtype, key.dtype});
      }
      REQUIRE(got.size() == expected.size());
      const Tolerance tol = tolerance_for(row, key.dtype);
      for (size_t i = 0; i < got.size(); ++i) {
        INFO("output ", i);
        const Tensor g = raw::to_dtype(got[i], DType::Float64);
        const Tensor e = raw::to_dtype(expected[i], DType::Float64);
        if (device == Device::CUDA) {
          test::check_cuda_matches(name + "." + std::to_string(i), raw::to_device(g, device), e,
                                   tol.atol, tol.rtol);
        } else {
          CHECK_MESSAGE(test::closeness(g, e, tol.atol, tol.rtol) <= 1.0, name, " output ", i,
                        " is outside atol ", tol.atol, " + rtol ", tol.rtol, " of its reference");
        }
      }
      ++ran;
    }
  }
  return ran;
}

}  // namespace

TEST_CASE("backend_ops/every registered kernel has a row, and every row a kernel") {
  std::set<std::string> registered;
  for (const DispatchTableBase* t : dispatch_tables()) {
    registered.insert(t->op());
    CHECK_MESSAGE(table().count(t->op()) == 1, "dispatch table ", t->op(),
                  " has no row in tests/tensor/test_backend_ops.cpp");
  }
  for (const auto& [name, row] : table())
    CHECK_MESSAGE(registered.count(name) == 1, "the row ", name, " names no dispatch table");
}

TEST_CASE("backend_ops/every CPU kernel matches its reference") {
  CHECK(check_device(Device::CPU) > 50);
}

TEST_CASE("backend_ops/every CUDA kernel matches its reference") {
  if (test::skip_without_gpu()) return;
  CHECK(check_device(Device::CUDA) > 50);
}
