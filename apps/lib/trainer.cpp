#include "apps/lib/trainer.h"

#include <omp.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>

#include "apps/lib/batch_source.h"
#include "apps/lib/device_flag.h"
#include "apps/lib/evaluate.h"
#include "apps/lib/geometry.h"
#include "apps/lib/objective.h"
#include "apps/lib/report.h"
#include "apps/lib/run_files.h"
#include "autograd/ops.h"
#include "data/dataset_spec.h"
#include "data/long_tail.h"
#include "nn/bcl_model.h"
#include "nn/checkpoint.h"
#include "nn/optim.h"
#include "nn/schedule.h"
#include "tensor/value_checks.h"

namespace bcl::app {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

double now_seconds() {
  using clock = std::chrono::steady_clock;
  return std::chrono::duration<double>(clock::now().time_since_epoch()).count();
}

// One status line per step, redrawn in place on a terminal; on a pipe or file, a plain line
// five times per epoch so logs stay short.
class Progress {
 public:
  Progress() : tty_(isatty(fileno(stderr)) != 0) {}
  // Whether step `step` of `steps` gets a line: the last step, every fifth of the epoch, and on a
  // terminal also twice a second (each line reads the losses, which waits for a GPU).
  bool due(int64_t step, int64_t steps) {
    const double now = now_seconds();
    if (step == steps || step % std::max<int64_t>(1, steps / 5) == 0 ||
        (tty_ && now - last_ >= 0.5)) {
      last_ = now;
      return true;
    }
    return false;
  }
  void update(int64_t epoch, int64_t epochs, int64_t step, int64_t steps, double loss,
              double img_per_s, double eta_seconds) {
    std::fprintf(stderr, "%sepoch %lld/%lld  step %lld/%lld  loss %.4f  %.0f img/s  ETA %s%s",
                 tty_ ? "\r\033[K" : "", (long long)epoch, (long long)epochs, (long long)step,
                 (long long)steps, loss, img_per_s, format_duration(eta_seconds).c_str(),
                 tty_ ? "" : "\n");
    std::fflush(stderr);
  }
  void finish_epoch() {
    if (tty_) std::fprintf(stderr, "\r\033[K");
  }
  static std::string format_duration(double s) {
    char buf[32];
    const long t = static_cast<long>(s);
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    return buf;
  }

 private:
  bool tty_;
  double last_ = 0;
};

json epoch_json(const EpochRecord& r) {
  const bool evaluated = r.evaluated;
  auto group = [&](const std::optional<double>& v) { return evaluated && v ? json(*v) : json(); };
  return {{"epoch", r.epoch},
          {"lr", r.lr},
          {"train_loss", r.train_loss},
          {"train_ce", r.train_ce},
          {"train_contrastive", r.train_contrastive ? json(*r.train_contrastive) : json()},
          {"test_overall", evaluated ? json(r.test.overall) : json()},
          {"test_many", group(r.test.many)},
          {"test_medium", group(r.test.medium)},
          {"test_few", group(r.test.few)},
          {"img_per_s", r.img_per_s},
          {"seconds", r.seconds}};
}

EpochRecord epoch_from_json(const json& j) {
  EpochRecord r;
  r.epoch = j.at("epoch").get<int64_t>();
  r.lr = j.at("lr").get<double>();
  r.train_loss = j.at("train_loss").get<double>();
  r.train_ce = j.value("train_ce", r.train_loss);
  if (j.contains("train_contrastive") && !j["train_contrastive"].is_null())
    r.train_contrastive = j["train_contrastive"].get<double>();
  auto opt = [&](const char* k) {
    return j.contains(k) && !j[k].is_null() ? std::optional<double>(j[k].get<double>())
                                            : std::nullopt;
  };
  // An epoch logged without an evaluation (--eval-every) stays without one when rewritten.
  r.evaluated = opt("test_overall").has_value();
  r.test.overall = opt("test_overall").value_or(0);
  r.test.many = opt("test_many");
  r.test.medium = opt("test_medium");
  r.test.few = opt("test_few");
  r.img_per_s = j.at("img_per_s").get<double>();
  r.seconds = j.at("seconds").get<double>();
  return r;
}

// The loader's views: ce and bs keep the single view they always had when the CE view is the
// default crop-flip (and so large images keep their resize-and-crop pipeline).
data::MultiViewTransform train_transform(const TrainConfig& cfg, const data::DataSplits& splits) {
  const bool contrastive = cfg.method == "scl" || cfg.method == "bcl";
  if (!contrastive && cfg.ce_aug == "crop-flip") return data::default_train_transform(splits);
  // Geometric ops fill with the mean colour, as timm's RandAugment.
  data::MultiViewTransform t =
      data::bcl_train_transform(cfg.ce_aug, cfg.cl_views, splits.normalization, splits.image_size,
                                data::mean_fill_colour(splits.normalization), splits.large_images);
  if (!contrastive) t.views.resize(1);
  return t;
}

// The batches of a run: the DataLoader's views, or --data-on-device's.
std::unique_ptr<BatchSource> make_batch_source(const TrainConfig& cfg,
                                               const data::DataSplits& splits,
                                               std::shared_ptr<const data::Dataset> train,
                                               Device device) {
  BatchSourceOptions o;
  o.batch_size = cfg.batch_size;
  o.seed = cfg.seed;
  o.workers = cfg.workers;
  o.device = device;
  if (!cfg.data_on_device) return loader_batches(std::move(train), train_transform(cfg, splits), o);
  BCL_CHECK(!splits.large_images, "--data-on-device: ", cfg.data,
            " holds large images (resized and cropped per batch); the batched views are those "
            "of small, same-size images such as CIFAR's");
  const bool contrastive = cfg.method == "scl" || cfg.method == "bcl";
  return device_batches(std::move(train), splits.normalization, splits.image_size, cfg.ce_aug,
                        cfg.cl_views, contrastive ? 3 : 1, o);
}

// An epoch's step losses, kept where they were computed until read: on a GPU each read waits for
// the stream, so they are read a few times per epoch (for the progress line), all in one copy.
// The sums add them in step order in double, as a read per step would.
class StepLosses {
 public:
  void add(const Objective::Terms& t) {
    pending_.push_back(raw::reshape(detach(t.total), {1}));
    pending_.push_back(raw::reshape(detach(t.ce), {1}));
    if (t.contrastive.defined()) pending_.push_back(raw::reshape(detach(t.contrastive), {1}));
    per_step_ = t.contrastive.defined() ? 3 : 2;
  }
  // Reads the pending losses; a non-finite one throws, naming its step.
  void read(int64_t epoch) {
    if (pending_.empty()) return;
    const std::vector<double> v = raw::to_device(raw::concat(pending_, 0), Device::CPU).to_vector();
    pending_.clear();
    for (size_t i = 0; i < v.size(); i += static_cast<size_t>(per_step_)) {
      ++steps_;
      BCL_CHECK(std::isfinite(v[i]), "bcl-train: the loss became ", v[i], " at epoch ", epoch + 1,
                " step ", steps_, " (try a lower --lr)");
      loss += v[i];
      ce += v[i + 1];
      if (per_step_ == 3) contrastive += v[i + 2];
    }
  }
  int64_t steps_read() const { return steps_; }

  double loss = 0, ce = 0, contrastive = 0;  // sums over the steps read

 private:
  std::vector<Tensor> pending_;
  int per_step_ = 2;
  int64_t steps_ = 0;
};

}  // namespace

void run_training(const TrainConfig& cfg, const std::string& resolved_config) {
  if (cfg.threads > 0) omp_set_num_threads(cfg.threads);
  fs::create_directories(cfg.out);
  write_text_atomically(cfg.out + "/config.toml", resolved_config);

  // ---- Data ---------------------------------------------------------------------------------
  data::DataSplits splits = data::load_dataset(cfg.data);
  splits.normalization = data::choose_normalization(cfg.normalize, splits);
  data::Dataset train_set = splits.train;
  if (cfg.imbalance > 1) {
    data::LongTailOptions lt;
    lt.ratio = cfg.imbalance;
    lt.type = data::parse_imbalance_type(cfg.imbalance_type);
    lt.data_seed = cfg.data_seed;
    train_set = data::make_long_tailed(splits.train, lt);
  }
  const std::vector<int64_t> counts = train_set.class_counts();
  const int64_t num_classes = train_set.num_classes();
  auto train_data = std::make_shared<const data::Dataset>(std::move(train_set));
  auto test_data = std::make_shared<const data::Dataset>(splits.test);
  BCL_CHECK(train_data->size() >= cfg.batch_size, "bcl-train: the training set has ",
            train_data->size(), " images, fewer than one batch of --batch-size ", cfg.batch_size);
  const Device device = parse_device_flag(cfg.device);
  const std::unique_ptr<BatchSource> batches = make_batch_source(cfg, splits, train_data, device);
  const data::MultiViewTransform eval_transform = data::default_eval_transform(splits);
  const int64_t iters = batches->batches_per_epoch();

  // ---- Model, optimiser, schedule -------------------------------------------------------------
  // The model is made on the CPU (the same initial weights on either device) and moved before the
  // optimiser takes its parameters, so the momentum buffers are made beside them.
  Generator gen(cfg.seed);
  const ModelFacts facts = model_facts(cfg, num_classes);
  const std::unique_ptr<nn::BCLModel> model_ptr = make_model(facts, gen);
  nn::BCLModel& model = *model_ptr;
  nn::set_conv_precision(model, conv_precision(cfg.precision));
  model.to(device);
  nn::SGDOptions so;
  so.lr = cfg.lr;
  so.momentum = cfg.momentum;
  so.weight_decay = cfg.wd;
  so.nesterov = cfg.nesterov;
  nn::SGD optimizer(model.named_parameters(), so);
  nn::ScheduleOptions sched_opts;
  sched_opts.kind = cfg.schedule == "step" ? nn::ScheduleOptions::Kind::MultiStep
                                           : nn::ScheduleOptions::Kind::Cosine;
  sched_opts.base_lr = cfg.lr;
  sched_opts.epochs = cfg.epochs;
  sched_opts.iters_per_epoch = iters;
  sched_opts.warmup_epochs = cfg.warmup_epochs;
  sched_opts.milestones = cfg.milestones;
  const nn::LrSchedule schedule(sched_opts);
  ObjectiveOptions oo;
  oo.method = cfg.method;
  oo.la_tau = cfg.la_tau;
  oo.alpha = cfg.alpha;
  oo.beta = cfg.beta;
  oo.temperature = cfg.temperature;
  oo.device = device;
  const Objective objective(oo, counts);

  // ---- Resume -------------------------------------------------------------------------------
  const std::string checkpoint = cfg.out + "/last.safetensors";
  const std::string log_path = cfg.out + "/log.jsonl";
  int64_t first_epoch = 0, step = 0;
  double train_seconds = 0;
  std::vector<EpochRecord> history;
  if (cfg.resume) {
    BCL_CHECK(fs::exists(checkpoint), "--resume: there is no checkpoint at ", checkpoint);
    // The file holds CPU tensors; loading copies them onto the model's and optimiser's device, so
    // a run may resume on the other device (bitwise equality holds only on the same one).
    nn::CheckpointExtras extras = nn::load_checkpoint(checkpoint, model);
    optimizer.load_state_dict(extras.sections["optimizer"]);
    first_epoch = std::stoll(extras.metadata.at("epoch"));
    step = std::stoll(extras.metadata.at("step"));
    train_seconds = std::stod(extras.metadata.at("train_seconds"));
    BCL_CHECK(extras.metadata.at("seed") == std::to_string(cfg.seed), "--resume: ", checkpoint,
              " was trained with --seed ", extras.metadata.at("seed"), ", not ", cfg.seed);
    // Epochs logged after the checkpoint (the run died between the two writes) are redone.
    for (const json& j : read_jsonl(log_path)) {
      EpochRecord r = epoch_from_json(j);
      if (r.epoch <= first_epoch) history.push_back(r);
    }
    std::fprintf(stderr, "resuming %s after epoch %lld (step %lld)\n", checkpoint.c_str(),
                 (long long)first_epoch, (long long)step);
  }
  {
    std::string kept;
    for (const EpochRecord& r : history) kept += epoch_json(r).dump() + "\n";
    write_text_atomically(log_path, kept);
  }

  std::printf(
      "bcl-train: %s on %s (%lld train images, %lld classes, %lld test), %s, %lld "
      "epochs of %lld steps, device %s, %d threads, normalize mean (%.4f, %.4f, %.4f) std (%.4f, "
      "%.4f, %.4f)\n",
      cfg.model.c_str(), cfg.data.c_str(), (long long)train_data->size(), (long long)num_classes,
      (long long)test_data->size(), cfg.method.c_str(), (long long)cfg.epochs, (long long)iters,
      cfg.device.c_str(), omp_get_max_threads(), splits.normalization.mean[0],
      splits.normalization.mean[1], splits.normalization.mean[2], splits.normalization.std[0],
      splits.normalization.std[1], splits.normalization.std[2]);
  std::fflush(stdout);

  // ---- Train --------------------------------------------------------------------------------
  // The labels were checked when the dataset was validated, so on a GPU the losses need not read
  // them back every step (tensor/value_checks.h).
  std::optional<NoGpuValueChecks> no_label_reads;
  if (device != Device::CPU) no_label_reads.emplace();
  Progress progress;
  EvalResult last_eval;
  bool have_eval = false;
  for (int64_t epoch = first_epoch; epoch < cfg.epochs; ++epoch) {
    model.train();
    batches->start_epoch(epoch);
    const double t0 = now_seconds();
    double lr = 0;
    int64_t images = 0, batch_index = 0;
    StepLosses losses;
    for (TrainBatch b; batches->next(b);) {
      lr = schedule.lr_at(step);
      optimizer.set_lr(lr);
      const Objective::Terms terms = objective.loss(objective.forward(model, b.views), b.labels);
      optimizer.zero_grad();
      backward(terms.total);
      optimizer.step();
      ++step;
      ++batch_index;
      images += b.labels.numel();
      losses.add(terms);
      if (!progress.due(batch_index, iters)) continue;
      losses.read(epoch);
      const double elapsed = now_seconds() - t0;
      const double per_step = elapsed / static_cast<double>(batch_index);
      progress.update(epoch + 1, cfg.epochs, batch_index, iters,
                      losses.loss / static_cast<double>(losses.steps_read()), images / elapsed,
                      per_step * static_cast<double>((cfg.epochs - epoch) * iters - batch_index));
    }
    losses.read(epoch);
    progress.finish_epoch();
    EpochRecord rec;
    rec.epoch = epoch + 1;
    rec.lr = lr;
    rec.train_loss = losses.loss / static_cast<double>(iters);
    rec.train_ce = losses.ce / static_cast<double>(iters);
    if (objective.contrastive())
      rec.train_contrastive = losses.contrastive / static_cast<double>(iters);
    rec.seconds = now_seconds() - t0;
    rec.img_per_s = static_cast<double>(images) / rec.seconds;
    train_seconds += rec.seconds;
    const bool evaluate = rec.epoch % cfg.eval_every == 0 || rec.epoch == cfg.epochs;
    if (evaluate) {
      const Predictions p = predict(model, test_data, eval_transform, cfg.batch_size, cfg.workers);
      rec.test = last_eval = summarize(p.predicted, p.labels, counts);
      rec.evaluated = true;
      have_eval = true;
    }
    char terms_text[64] = "";
    if (rec.train_contrastive)
      std::snprintf(terms_text, sizeof terms_text, " (ce %.4f, %s %.4f)", rec.train_ce,
                    cfg.method.c_str(), *rec.train_contrastive);
    std::printf("epoch %3lld/%lld  loss %.4f%s  lr %.4f  %s  %.0f img/s  %.0f s\n",
                (long long)rec.epoch, (long long)cfg.epochs, rec.train_loss, terms_text, rec.lr,
                evaluate ? one_line(rec.test).c_str() : "(not evaluated)", rec.img_per_s,
                rec.seconds);
    std::fflush(stdout);
    history.push_back(rec);
    append_line(log_path, epoch_json(rec).dump());

    nn::CheckpointExtras extras;
    extras.sections["optimizer"] = optimizer.state_dict();
    extras.metadata =
        run_metadata(cfg, facts, counts, train_data->class_names, splits.normalization);
    extras.metadata["epoch"] = std::to_string(rec.epoch);
    extras.metadata["step"] = std::to_string(step);
    extras.metadata["train_seconds"] = std::to_string(train_seconds);
    extras.metadata["config"] = resolved_config;
    nn::save_checkpoint(checkpoint, model, extras);
  }

  // ---- Final metrics and report -----------------------------------------------------------------
  if (!have_eval) {  // resumed a finished run
    const Predictions p = predict(model, test_data, eval_transform, cfg.batch_size, cfg.workers);
    last_eval = summarize(p.predicted, p.labels, counts);
  }
  json metrics = to_json(last_eval);
  metrics["class_counts"] = counts;
  metrics["test_counts"] = test_data->class_counts();
  metrics["class_names"] = train_data->class_names;
  metrics["train_seconds"] = train_seconds;
  metrics["normalize"] = {{"mean", splits.normalization.mean}, {"std", splits.normalization.std}};
  metrics["confusion"] = last_eval.confusion;
  metrics["method"] = cfg.method;
  metrics["epochs"] = cfg.epochs;
  metrics["device"] = cfg.device;
  // The projections mean something only where a contrastive loss trained the head.
  std::optional<Geometry> geometry;
  if (objective.contrastive()) {
    geometry = measure_geometry(model, test_data, eval_transform, cfg.batch_size, cfg.workers);
    metrics["geometry"] = to_json(*geometry);
    std::printf("geometry: %s\n", one_line(*geometry).c_str());
  }
  write_text_atomically(cfg.out + "/metrics.json", metrics.dump(2) + "\n");

  ReportInput report;
  report.title = "bcl-train: " + cfg.method + " on " + cfg.data;
  report.facts = {{"model", cfg.model},
                  {"method", cfg.method},
                  {"data", cfg.data},
                  {"imbalance", std::to_string(cfg.imbalance) + " (" + cfg.imbalance_type + ")"},
                  {"epochs", std::to_string(cfg.epochs)},
                  {"device", cfg.device},
                  {"train time", Progress::format_duration(train_seconds)}};
  report.epochs = history;
  report.final_result = last_eval;
  report.class_names = train_data->class_names;
  report.train_counts = counts;
  if (geometry) {
    report.geometry_line = one_line(*geometry);
    report.geometry_svg = cosine_heatmap_svg(*geometry, train_data->class_names);
  }
  write_text_atomically(cfg.out + "/report.html", render_report(report));
  std::printf("final: %s  (train %.0f s)  -> %s/metrics.json, %s/report.html\n",
              one_line(last_eval).c_str(), train_seconds, cfg.out.c_str(), cfg.out.c_str());
}

}  // namespace bcl::app
