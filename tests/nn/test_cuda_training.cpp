// A whole training step on the GPU against the same step on the CPU: the same small BCL model
// (fixed seed, made on the CPU, one copy moved with Module::to), the same batches, each objective
// of bcl-train (ce, bs, scl, bcl), two SGD steps with momentum and weight decay. The losses, every
// gradient, every parameter update, BatchNorm's running statistics and an eval-mode forward must
// agree. A device slip (a mask, a count or a constant left on the wrong device, a buffer not
// moved) throws or gives O(1) differences; float32 rounding in other summation orders gives
// differences of 1e-6 to 1e-5 relative, far inside the tolerances below. Each case skips without
// a GPU; the checkpoint case checks that a model trained on the GPU saves CPU tensors and that a
// checkpoint loads onto either device.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <memory>

#include "autograd/ops.h"
#include "losses/objective.h"
#include "nn/bcl_model.h"
#include "nn/checkpoint.h"
#include "nn/optim.h"
#include "nn/resnet_cifar.h"
#include "tensor/safetensors.h"
#include "tests/tensor/cuda_test_util.h"

using namespace bcl;
using bcl::test::check_cuda_matches;
using bcl::test::skip_without_gpu;
using bcl::test::to_cpu;
using bcl::test::to_cuda;

namespace {

constexpr int64_t kBatch = 8, kClasses = 4, kImage = 16;
const std::vector<int64_t> kClassCounts = {40, 20, 10, 5};  // a long tail for the log prior

// Tolerances, float32 throughout. All are relative to the size of what is compared: `scale` is
// the largest |cpu value| of the tensor, so entries near 0 (where a relative test means nothing)
// get an absolute allowance of a fraction of the tensor's scale.
//  - losses (scalars of size ~1-5): 1e-4 relative. Rounding differences in the forward are
//    ~1e-6 relative; the contrastive losses divide by the temperature (x10), still < 1e-5.
//  - gradients and parameter updates: 2e-3 of the tensor's scale plus 2e-3 relative. The backward
//    sums thousands of products per weight entry in other orders (cuDNN/cuBLAS vs OpenBLAS), and a
//    ReLU input within rounding of 0 may pass its gradient on one device and not the other; both
//    move an entry by far less than 2e-3 of the largest.
//  - eval outputs and running statistics: 1e-4 of the scale plus 1e-4 relative.
//    A tensor's scale is at least 1% of the largest in the model (kScaleFloor): the bias of a
//    Linear followed by BatchNorm (head.0.bias, head_fc.0.bias) has a gradient of exactly 0 in
//    exact arithmetic, so both devices give rounding residue (~1e-7 on the CPU, ~1e-6 through
//    cuDNN's float32 BatchNorm backward on an H200), which its own scale cannot measure.
//  - num_batches_tracked: exact (an integer count).
constexpr double kLossTol = 1e-4, kGradTol = 2e-3, kEvalTol = 1e-4, kScaleFloor = 1e-2;

double max_abs(const Tensor& t) {
  double m = 0;
  for (double v : t.to_vector()) m = std::max(m, std::fabs(v));
  return m;
}

// gpu matches cpu within tol * (scale + |cpu|), scale = max |cpu|: a closeness test in the units of
// the tensor's own size.
void check_scaled(const std::string& op, const Tensor& gpu, const Tensor& cpu, double tol,
                  double min_scale = 1e-30) {
  const double scale = std::max(max_abs(cpu), min_scale);
  check_cuda_matches(op, gpu, cpu, tol * scale, tol);
}

// A ResNet-8 for 16x16 images (one BasicBlock per stage, both option-A shortcuts) under the BCL
// model's classifier and two MLP heads. Everything is drawn from `seed` on the CPU, so two calls
// give bitwise the same model.
std::unique_ptr<nn::BCLModel> small_model(uint64_t seed) {
  Generator gen(seed);
  nn::BCLModelOptions mo;
  mo.classifier.num_classes = kClasses;
  mo.head_hidden = 32;
  mo.head_out = 16;
  auto encoder = std::make_shared<nn::ResNetCifar>(std::vector<int64_t>{1, 1, 1}, gen);
  return std::make_unique<nn::BCLModel>(encoder, mo, gen);
}

// Three views of kBatch images (the objective uses one or three) and their labels; every class
// present, class 0 three times.
struct Batch {
  std::vector<Tensor> views;
  Tensor labels;
};
Batch make_batch(uint64_t seed) {
  Batch b;
  for (uint64_t v = 0; v < 3; ++v)
    b.views.push_back(test::randn({kBatch, 3, kImage, kImage}, seed * 10 + v, DType::Float32));
  b.labels = from_vector({0, 1, 2, 3, 0, 1, 2, 0}, {kBatch}, DType::Int64);
  return b;
}

struct Side {
  std::unique_ptr<nn::BCLModel> model;
  std::unique_ptr<losses::Objective> objective;
  std::unique_ptr<nn::SGD> optimizer;
};

Side make_side(const std::string& method, Device device) {
  Side s;
  s.model = small_model(7);
  s.model->to(device);  // before the optimiser takes the parameters
  s.model->train();
  losses::ObjectiveOptions oo;
  oo.method = method;
  oo.device = device;
  s.objective = std::make_unique<losses::Objective>(oo, kClassCounts);
  nn::SGDOptions so;
  so.lr = 0.1;
  so.momentum = 0.9;
  so.weight_decay = 5e-4;
  s.optimizer = std::make_unique<nn::SGD>(s.model->named_parameters(), so);
  return s;
}

losses::Objective::Terms step_loss(Side& s, const Batch& b, Device device) {
  std::vector<Tensor> views;
  for (const Tensor& v : b.views) views.push_back(raw::to_device(v, device));
  const Tensor labels = raw::to_device(b.labels, device);
  return s.objective->loss(s.objective->forward(*s.model, views), labels);
}

}  // namespace

TEST_CASE("cuda/training_step_matches_cpu") {
  if (skip_without_gpu()) return;
  for (const std::string method : {"ce", "bs", "scl", "bcl"}) {
    CAPTURE(method);
    Side cpu = make_side(method, Device::CPU), gpu = make_side(method, Device::CUDA);
    REQUIRE(gpu.model->device() == Device::CUDA);
    for (const auto& [name, t] : gpu.model->state_dict()) {
      CAPTURE(name);
      CHECK(t.device() == Device::CUDA);  // parameters and buffers alike
    }
    CHECK(cpu.model->device() == Device::CPU);

    for (uint64_t step = 0; step < 2; ++step) {
      CAPTURE(step);
      const Batch b = make_batch(100 + step);
      const losses::Objective::Terms tc = step_loss(cpu, b, Device::CPU);
      const losses::Objective::Terms tg = step_loss(gpu, b, Device::CUDA);
      REQUIRE(tg.total.device() == Device::CUDA);
      check_cuda_matches("training/loss", tg.total, tc.total, kLossTol, kLossTol);
      check_cuda_matches("training/loss", tg.ce, tc.ce, kLossTol, kLossTol);
      REQUIRE(tg.contrastive.defined() == tc.contrastive.defined());
      if (tc.contrastive.defined())
        check_cuda_matches("training/loss", tg.contrastive, tc.contrastive, kLossTol, kLossTol);

      cpu.optimizer->zero_grad();
      gpu.optimizer->zero_grad();
      backward(tc.total);
      backward(tg.total);
      const nn::NamedTensors pc = cpu.model->named_parameters();
      const nn::NamedTensors pg = gpu.model->named_parameters();
      REQUIRE(pc.size() == pg.size());
      std::vector<Tensor> before_cpu, before_gpu;
      double grad_floor = 0;
      for (const auto& [name, p] : pc)
        if (p.grad().defined()) grad_floor = std::max(grad_floor, kScaleFloor * max_abs(p.grad()));
      for (size_t i = 0; i < pc.size(); ++i) {
        CAPTURE(pc[i].first);
        REQUIRE(pc[i].first == pg[i].first);
        // ce and bs leave both heads without a gradient; the two sides must agree on which.
        REQUIRE(pc[i].second.grad().defined() == pg[i].second.grad().defined());
        if (pc[i].second.grad().defined()) {
          CHECK(pg[i].second.grad().device() == Device::CUDA);
          check_scaled("training/gradient", pg[i].second.grad(), pc[i].second.grad(), kGradTol,
                       grad_floor);
        }
        before_cpu.push_back(raw::clone(pc[i].second));
        before_gpu.push_back(raw::clone(pg[i].second));
      }

      cpu.optimizer->step();
      gpu.optimizer->step();
      double update_floor = 0;
      for (size_t i = 0; i < pc.size(); ++i)
        update_floor =
            std::max(update_floor, kScaleFloor * max_abs(raw::sub(pc[i].second, before_cpu[i])));
      for (size_t i = 0; i < pc.size(); ++i) {
        CAPTURE(pc[i].first);
        REQUIRE(pg[i].second.device() == Device::CUDA);
        const Tensor dc = raw::sub(pc[i].second, before_cpu[i]);
        const Tensor dg = raw::sub(pg[i].second, before_gpu[i]);
        if (max_abs(dc) == 0) {
          CHECK(max_abs(dg) == 0);  // not stepped (no gradient) on either side
          continue;
        }
        // The update lr * (g + wd p [+ momentum]) is compared, not the parameter: the parameter
        // would hide an update error behind its own size.
        check_scaled("training/sgd_update", dg, dc, kGradTol, update_floor);
        check_scaled("training/parameter", pg[i].second, pc[i].second, kEvalTol);
      }
    }

    for (const auto& [name, bc] : cpu.model->named_buffers()) {
      CAPTURE(name);
      const Tensor bg = gpu.model->state_dict().at(name);
      REQUIRE(bg.device() == Device::CUDA);
      if (bc.dtype() == DType::Int64) {
        check_cuda_matches("training/num_batches_tracked", bg, bc, 0, 0);
      } else {
        check_scaled("training/bn_running_stats", bg, bc, kEvalTol);
      }
    }

    // Evaluation mode: BatchNorm on the running statistics, no graph.
    cpu.model->eval();
    gpu.model->eval();
    NoGradGuard no_grad;
    const Batch b = make_batch(200);
    const nn::BCLOutput oc = cpu.model->forward_all(b.views[0]);
    const nn::BCLOutput og = gpu.model->forward_all(to_cuda(b.views[0]));
    check_scaled("eval/logits", og.logits, oc.logits, kEvalTol);
    check_scaled("eval/projections", og.projections, oc.projections, kEvalTol);
    check_scaled("eval/prototypes", og.prototypes, oc.prototypes, kEvalTol);
    check_scaled("eval/logits", gpu.model->forward(to_cuda(b.views[0])), oc.logits, kEvalTol);
  }
}

TEST_CASE("cuda/checkpoint_from_gpu_loads_on_either_device") {
  if (skip_without_gpu()) return;
  const std::string path =
      (std::filesystem::temp_directory_path() /
       ("bcl_test_cuda_checkpoint_" + std::to_string(getpid()) + ".safetensors"))
          .string();
  // One GPU step, so the running statistics, num_batches_tracked and momentum are not initial.
  Side gpu = make_side("bcl", Device::CUDA);
  const losses::Objective::Terms t = step_loss(gpu, make_batch(1), Device::CUDA);
  gpu.optimizer->zero_grad();
  backward(t.total);
  gpu.optimizer->step();

  nn::CheckpointExtras extras;
  extras.sections["optimizer"] = gpu.optimizer->state_dict();
  REQUIRE(!extras.sections["optimizer"].empty());
  nn::save_checkpoint(path, *gpu.model, extras);

  // The file holds CPU tensors only.
  for (const auto& [name, tensor] : load_safetensors(path).tensors) {
    CAPTURE(name);
    CHECK(tensor.device() == Device::CPU);
  }

  // Onto a CPU model: every tensor bit for bit (float32 and int64 convert to double exactly).
  std::unique_ptr<nn::BCLModel> on_cpu = small_model(99);
  const nn::CheckpointExtras loaded = nn::load_checkpoint(path, *on_cpu);
  CHECK(on_cpu->device() == Device::CPU);
  const auto gpu_state = gpu.model->state_dict();
  for (const auto& [name, tensor] : on_cpu->state_dict()) {
    CAPTURE(name);
    CHECK(tensor.device() == Device::CPU);
    CHECK(tensor.to_vector() == to_cpu(gpu_state.at(name)).to_vector());
  }
  // Onto a GPU model: the values land on the GPU, and the optimiser's buffers beside them.
  std::unique_ptr<nn::BCLModel> on_gpu = small_model(98);
  on_gpu->to(Device::CUDA);
  nn::load_checkpoint(path, *on_gpu);
  for (const auto& [name, tensor] : on_gpu->state_dict()) {
    CAPTURE(name);
    CHECK(tensor.device() == Device::CUDA);
    CHECK(tensor.to_vector() == to_cpu(gpu_state.at(name)).to_vector());
  }
  nn::SGD resumed(on_gpu->named_parameters(), nn::SGDOptions{});
  resumed.load_state_dict(loaded.sections.at("optimizer"));
  for (const auto& [name, buf] : resumed.state_dict()) {
    CAPTURE(name);
    CHECK(buf.device() == Device::CUDA);
    CHECK(buf.to_vector() == extras.sections["optimizer"].at(name).to_vector());
  }
  std::filesystem::remove(path);
}

TEST_CASE("nn/module_device_follows_to") {
  // Runs everywhere: the CPU side of Module::device().
  std::unique_ptr<nn::BCLModel> m = small_model(1);
  CHECK(m->device() == Device::CPU);
  m->to(Device::CPU);  // a no-op move keeps the tensors
  CHECK(m->device() == Device::CPU);
  if (skip_without_gpu()) return;
  m->to(Device::CUDA);
  CHECK(m->device() == Device::CUDA);
  for (const auto& [name, t] : m->named_buffers()) {
    CAPTURE(name);
    CHECK(t.device() == Device::CUDA);
  }
  for (const Tensor& p : m->parameters()) {
    CHECK(p.requires_grad());
    CHECK(p.is_leaf());
  }
  m->to(Device::CPU);
  CHECK(m->device() == Device::CPU);
}

TEST_CASE("nn/bf16_training_step_tracks_fp32") {
  // Mixed precision (--precision bf16) against full precision, on the CPU (emulated bf16) and,
  // with a GPU, on it (cuDNN's bf16): one bcl step from the same model and batch. Every conv
  // rounds its operands and output by up to 2^-8 relative, and the 8-layer network compounds that
  // to about 1% in the loss and in each gradient. The bounds: losses within 3e-2 relative; each
  // parameter's gradient at cosine >= 0.98 to the full-precision one and of the same norm within
  // 10%. A conv left in fp32 passes too, so the step must also differ from fp32's somewhere; a
  // wrong product, a lost gradient or a gradient in the wrong dtype fails.
  for (Device device : {Device::CPU, Device::CUDA}) {
    if (device == Device::CUDA && skip_without_gpu()) return;
    CAPTURE(device_name(device));
    Side full = make_side("bcl", device), half = make_side("bcl", device);
    CHECK(nn::set_conv_precision(*half.model, nn::Precision::BF16) == 7);  // ResNet-8's convs
    const Batch b = make_batch(300);
    const losses::Objective::Terms tf = step_loss(full, b, device);
    const losses::Objective::Terms th = step_loss(half, b, device);
    const double lf = tf.total.item(), lh = th.total.item();
    CHECK(std::fabs(lh - lf) <= 3e-2 * std::fabs(lf));
    CHECK(lh != lf);
    backward(tf.total);
    backward(th.total);
    const nn::NamedTensors pf = full.model->named_parameters();
    const nn::NamedTensors ph = half.model->named_parameters();
    REQUIRE(pf.size() == ph.size());
    const auto norm = [](const Tensor& t) { return std::sqrt(raw::sum(raw::mul(t, t)).item()); };
    double largest = 0;
    for (const auto& [name, p] : pf) largest = std::max(largest, norm(to_cpu(p.grad())));
    for (size_t i = 0; i < pf.size(); ++i) {
      CAPTURE(pf[i].first);
      const Tensor gf = to_cpu(pf[i].second.grad()), gh = to_cpu(ph[i].second.grad());
      REQUIRE(gh.defined());
      CHECK(gh.dtype() == DType::Float32);
      const double nf = norm(gf), nh = norm(gh);
      // A Linear's bias before BatchNorm has a zero gradient in exact arithmetic: residue only.
      if (nf < kScaleFloor * largest) continue;
      CHECK(raw::sum(raw::mul(gf, gh)).item() / (nf * nh) >= 0.98);
      CHECK(std::fabs(nh - nf) <= 0.1 * nf);
    }
  }
}
