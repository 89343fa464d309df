// bcl-bench: times the training step and prints one JSON object.
//
//   build/bcl-bench                                   # ResNet-32, batch 128, synthetic 32x32 data
//   build/bcl-bench --batch 256 --threads 2
//   build/bcl-bench --data folder:data/embedded/cifar10-lt-mini --workers 2
//   build-cuda/bcl-bench --device cuda --batch 256 --method bcl
//
// A step is what bcl-train does per batch: the batch (synthetic, or from the data loader with its
// augmentation), the forward pass to the logits, the loss, the backward pass and the SGD update.
// It runs --epochs epochs of --steps steps each; the first --warmup steps are not timed. The
// output gives img_per_s and ms_per_step over the timed steps, the milliseconds of each phase per
// step (each phase runs on the calling thread, and the OpenMP work inside it is synchronous, so
// wall-clock time per phase adds up to the step), and the peak resident memory after each epoch:
// a steady-state step that allocated new memory would make it grow from epoch to epoch. It also
// counts the tensor blocks of 4 KiB or more taken from the system in each epoch rather than from
// the allocator's cache (tensor/storage.h): 0 in the steady state.
//
// Methods are bcl-train's (losses/objective.h): ce and bs take one view per image, scl and bcl
// three (the CE view and two contrastive views) through the encoder and both heads as one batch,
// then both losses. views_per_s (images x views per second) compares their cost per view. With a
// dataset spec, bcl's views are the CPU budget protocol's (crop-flip CE view, sim-sim), made by
// the loader's workers as in training.
//
// --device cuda runs the model, the loss, the backward pass and SGD on the GPU, as bcl-train does:
// each batch is made on the CPU and copied to the GPU in the data phase, and the clock is read only
// after the GPU has finished the phase's work (a synchronisation per phase, which costs a little
// throughput but makes the breakdown true). The JSON then also gives the CUDA allocator's peak
// bytes in use, the blocks it took from cudaMalloc in each epoch (0 in the steady state) and the
// convolution passes that fell back to the direct kernel. --precision bf16 runs the convolutions
// in bfloat16 (nn/layers.h).
#include <omp.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "autograd/ops.h"
#include "data/dataset_spec.h"
#include "data/loader.h"
#include "losses/objective.h"
#include "nn/optim.h"
#include "tensor/device.h"
#include "tensor/kernels/conv2d_cuda.h"
#include "tensor/storage.h"
#include "train/flags.h"
#include "train/run_files.h"

using namespace bcl;

namespace {

// Waits until the device has run everything queued, so that a clock read next includes it.
void synchronize(Device device) {
  if (device == Device::CUDA) cuda_synchronize();
}

double now_ms() {
  using clock = std::chrono::steady_clock;
  return std::chrono::duration<double, std::milli>(clock::now().time_since_epoch()).count();
}

// The largest resident set the process has had so far, in MiB (Linux reports KiB).
double peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

struct Phases {
  double data = 0, forward = 0, loss = 0, backward = 0, optimizer = 0;
  double total() const { return data + forward + loss + backward + optimizer; }
};

// Where batches come from: a fixed synthetic batch, or a data loader over a dataset spec.
class BatchSource {
 public:
  BatchSource(const std::string& spec, int views, int64_t batch, int64_t image_size,
              int64_t num_classes, int workers, uint64_t seed) {
    if (spec == "synthetic") {
      Generator gen(seed);
      for (int v = 0; v < views; ++v) {
        images_.push_back(empty({batch, 3, image_size, image_size}));
        raw::normal_(images_.back(), 0.0, 1.0, gen);
      }
      std::vector<double> labels;
      for (int64_t i = 0; i < batch; ++i) labels.push_back(static_cast<double>(i % num_classes));
      labels_ = from_vector(labels, {batch}, DType::Int64);
      num_classes_ = num_classes;
      return;
    }
    data::DataSplits splits = data::load_dataset(spec);
    num_classes_ = splits.train.num_classes();
    counts_ = splits.train.class_counts();
    data::MultiViewTransform transform = data::default_train_transform(splits);
    if (views == 3) {
      transform = data::bcl_train_transform(
          "crop-flip", "sim-sim", splits.normalization, splits.image_size,
          data::mean_fill_colour(splits.normalization), splits.large_images);
    }
    data::LoaderOptions options;
    options.batch_size = batch;
    options.num_workers = workers;
    options.seed = seed;
    auto train = std::make_shared<const data::Dataset>(std::move(splits.train));
    loader_ = std::make_unique<data::DataLoader>(train, transform, options);
    BCL_CHECK(loader_->batches_per_epoch() > 0, "bcl-bench: ", spec, " has ", train->size(),
              " training images, fewer than one batch of ", batch);
  }
  int64_t num_classes() const { return num_classes_; }
  // Training counts per class (synthetic data: balanced), for the logit adjustment.
  std::vector<int64_t> class_counts() const {
    return counts_.empty() ? std::vector<int64_t>(num_classes_, 1) : counts_;
  }

  // The next batch; the loader's epochs restart as often as needed.
  void next(std::vector<Tensor>& views, Tensor& labels) {
    if (!loader_) {
      views = images_;
      labels = labels_;
      return;
    }
    data::Batch b;
    if (!loader_->next(b)) {
      loader_->start_epoch(++epoch_);
      BCL_CHECK(loader_->next(b), "bcl-bench: the data loader gave no batch");
    }
    views = b.views;
    labels = b.labels;
  }
  void start() {
    if (loader_) loader_->start_epoch(epoch_);
  }

 private:
  std::vector<Tensor> images_;
  Tensor labels_;
  int64_t num_classes_ = 0;
  std::vector<int64_t> counts_;
  std::unique_ptr<data::DataLoader> loader_;
  int64_t epoch_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"bcl-bench: times the training step (forward, backward, SGD) as JSON"};
  std::string model_name = "resnet32", method = "ce", spec = "synthetic";
  int64_t batch = 128, image_size = 32, num_classes = 10, steps = 10, warmup = 2;
  int threads = 0, workers = 2, epochs = 3;
  uint64_t seed = 0;
  std::string device_flag = "cpu", precision = "fp32";
  app.add_option("--model", model_name)
      ->check(CLI::IsMember({"resnet32", "resnet50", "resnext50_32x4d"}))
      ->capture_default_str();
  app.add_option("--method", method, "as bcl-train's: ce, bs (1 view), scl, bcl (3 views)")
      ->check(CLI::IsMember({"ce", "bs", "scl", "bcl"}))
      ->capture_default_str();
  app.add_option("--data", spec, "synthetic, or a dataset spec as for bcl-train")
      ->capture_default_str();
  app.add_option("--batch-size", batch, "images per step")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  train::add_old_spelling(app, "--batch", batch, "--batch-size");
  app.add_option("--image-size", image_size, "synthetic images' height and width")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--num-classes", num_classes, "synthetic data's classes")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--epochs", epochs, "epochs of --steps steps (peak memory is read after each)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--steps", steps, "steps per epoch")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--warmup", warmup, "untimed steps at the start")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--threads", threads, "OpenMP threads (0: default)")
      ->check(CLI::Range(0, 1024))
      ->capture_default_str();
  app.add_option("--workers", workers, "data loader threads (dataset specs only)")
      ->check(CLI::Range(0, 64))
      ->capture_default_str();
  app.add_option("--seed", seed)->capture_default_str();
  train::add_device_flag(app, device_flag);
  train::add_precision_flag(app, precision);
  CLI11_PARSE(app, argc, argv);
  Device device = Device::CPU;
  try {
    device = train::parse_device_flag(device_flag);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (warmup >= epochs * steps) {
    std::fprintf(stderr, "bcl-bench: --warmup %lld leaves no timed step of %lld\n",
                 (long long)warmup, (long long)(epochs * steps));
    return 2;
  }

  try {
    if (threads > 0) omp_set_num_threads(threads);
    losses::ObjectiveOptions oo;
    oo.method = method;
    oo.device = device;
    const int views = oo.method == "scl" || oo.method == "bcl" ? 3 : 1;
    BatchSource source(spec, views, batch, image_size, num_classes, workers, seed);
    const losses::Objective objective(oo, source.class_counts());
    train::TrainConfig cfg;
    cfg.model = model_name;
    Generator gen(seed);
    const std::unique_ptr<nn::BCLModel> model =
        train::make_model(train::model_facts(cfg, source.num_classes()), gen);
    nn::set_conv_precision(*model, train::conv_precision(precision));
    model->to(device);  // before the optimiser takes the parameters
    model->train();
    nn::SGDOptions so;
    so.lr = 0.01;  // small, so that long benchmarks stay finite
    so.momentum = 0.9;
    so.weight_decay = 5e-4;
    nn::SGD optimizer(model->named_parameters(), so);

    Phases timed;
    std::vector<double> peak_by_epoch;
    std::vector<int64_t> allocations_by_epoch;   // blocks >= 4 KiB from the system, per epoch
    std::vector<int64_t> cuda_mallocs_by_epoch;  // blocks from cudaMalloc, per epoch
    int64_t step = 0, timed_steps = 0;
    source.start();
    for (int e = 0; e < epochs; ++e) {
      const int64_t allocations_before = cpu_allocator_stats().system_allocations;
      const int64_t cuda_mallocs_before = cuda_allocator_stats().cuda_mallocs;
      for (int64_t s = 0; s < steps; ++s, ++step) {
        Phases p;
        synchronize(device);
        double t = now_ms();
        const auto lap = [&](double& phase) {
          synchronize(device);
          const double t1 = now_ms();
          phase += t1 - t;
          t = t1;
        };
        std::vector<Tensor> images;
        Tensor labels;
        source.next(images, labels);
        images = train::to_device(images, device);  // as bcl-train: the batch moves each step
        labels = raw::to_device(labels, device);
        lap(p.data);
        const losses::Objective::Outputs outputs = objective.forward(*model, images);
        lap(p.forward);
        const Tensor loss = objective.loss(outputs, labels).total;
        const double value = loss.item();
        lap(p.loss);
        BCL_CHECK(std::isfinite(value), "bcl-bench: the loss became ", value, " at step ", step);
        optimizer.zero_grad();
        backward(loss);
        lap(p.backward);
        optimizer.step();
        lap(p.optimizer);
        if (step < warmup) continue;
        ++timed_steps;
        timed.data += p.data;
        timed.forward += p.forward;
        timed.loss += p.loss;
        timed.backward += p.backward;
        timed.optimizer += p.optimizer;
      }
      peak_by_epoch.push_back(peak_rss_mib());
      allocations_by_epoch.push_back(cpu_allocator_stats().system_allocations - allocations_before);
      cuda_mallocs_by_epoch.push_back(cuda_allocator_stats().cuda_mallocs - cuda_mallocs_before);
    }

    const double n = static_cast<double>(timed_steps);
    const double ms_per_step = timed.total() / n;
    const auto ms = [&](double total) { return std::round(1000.0 * total / n) / 1000.0; };
    nlohmann::json out = {
        {"model", model_name},
        {"method", method},
        {"precision", precision},
        {"device", device_name(device)},
        {"batch", batch},
        {"threads", omp_get_max_threads()},
        {"data", spec},
        {"dtype", "float32"},
        {"timed_steps", timed_steps},
        {"warmup_steps", warmup},
        {"views", views},
        {"img_per_s", std::round(10.0 * static_cast<double>(batch) * 1000.0 / ms_per_step) / 10.0},
        {"views_per_s",
         std::round(10.0 * static_cast<double>(batch * views) * 1000.0 / ms_per_step) / 10.0},
        {"ms_per_step", ms(timed.total())},
        {"breakdown_ms",
         {{"data", ms(timed.data)},
          {"forward", ms(timed.forward)},
          {"loss", ms(timed.loss)},
          {"backward", ms(timed.backward)},
          {"optimizer", ms(timed.optimizer)}}},
        {"peak_rss_mib", peak_by_epoch.back()},
        {"peak_rss_mib_by_epoch", peak_by_epoch},
        {"system_allocations_by_epoch", allocations_by_epoch}};
    if (device == Device::CUDA) {
      out["cuda_peak_mib"] =
          std::round(10.0 * static_cast<double>(cuda_allocator_stats().peak_bytes_in_use) /
                     (1024.0 * 1024.0)) /
          10.0;
      out["cuda_mallocs_by_epoch"] = cuda_mallocs_by_epoch;
#ifdef BCL_CUDA
      // Convolution passes cuDNN declined, run by the slow direct kernel instead: 0 when every
      // layer found a cuDNN algorithm (in this precision).
      out["conv_direct_calls"] = cuda::conv_direct_calls();
#endif
    }
    std::printf("%s\n", out.dump().c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bcl-bench: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
