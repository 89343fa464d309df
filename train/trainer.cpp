#include "train/trainer.h"

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

#include "autograd/ops.h"
#include "data/dataset_spec.h"
#include "data/long_tail.h"
#include "losses/geometry.h"
#include "losses/objective.h"
#include "nn/bcl_model.h"
#include "nn/checkpoint.h"
#include "nn/optim.h"
#include "nn/schedule.h"
#include "tensor/value_checks.h"
#include "train/batch_source.h"
#include "train/evaluate.h"
#include "train/flags.h"
#include "train/report.h"
#include "train/run_files.h"

namespace bcl::train {
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
  void add(const losses::Objective::Terms& t) {
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

// Everything a run holds between its steps. Built once by setup(); resume() and each epoch
// advance it; finish() reads it.
struct Run {
  const TrainConfig& cfg;
  const std::string& resolved_config;
  data::DataSplits splits;
  std::vector<int64_t> counts;  // the (long-tailed) training set's images per class
  std::shared_ptr<const data::Dataset> train_data, test_data;
  Device device = Device::CPU;
  std::unique_ptr<BatchSource> batches;
  data::MultiViewTransform eval_transform;
  int64_t iters = 0;  // steps per epoch
  ModelFacts facts;
  std::unique_ptr<nn::BCLModel> model;
  std::unique_ptr<nn::SGD> optimizer;
  std::unique_ptr<nn::LrSchedule> schedule;
  std::unique_ptr<losses::Objective> objective;
  std::string checkpoint, log_path;
  // Advanced by resume() and every epoch.
  int64_t first_epoch = 0, step = 0;
  double train_seconds = 0;
  std::vector<EpochRecord> history;
  EvalResult last_eval;
  bool have_eval = false;

  Run(const TrainConfig& c, const std::string& resolved) : cfg(c), resolved_config(resolved) {}
};

// ---- Setup: data, model, optimiser, schedule, objective ------------------------------------
void setup_data(Run& run) {
  const TrainConfig& cfg = run.cfg;
  run.splits = data::load_dataset(cfg.data);
  run.splits.normalization = data::choose_normalization(cfg.normalize, run.splits);
  data::Dataset train_set = run.splits.train;
  if (cfg.imbalance > 1) {
    data::LongTailOptions lt;
    lt.ratio = cfg.imbalance;
    lt.type = data::parse_imbalance_type(cfg.imbalance_type);
    lt.data_seed = cfg.data_seed;
    train_set = data::make_long_tailed(run.splits.train, lt);
  }
  run.counts = train_set.class_counts();
  run.train_data = std::make_shared<const data::Dataset>(std::move(train_set));
  run.test_data = std::make_shared<const data::Dataset>(run.splits.test);
  BCL_CHECK(run.train_data->size() >= cfg.batch_size, "bcl-train: the training set has ",
            run.train_data->size(), " images, fewer than one batch of --batch-size ",
            cfg.batch_size);
  run.device = parse_device_flag(cfg.device);
  run.batches = make_batch_source(cfg, run.splits, run.train_data, run.device);
  run.eval_transform = data::default_eval_transform(run.splits);
  run.iters = run.batches->batches_per_epoch();
}

void setup_model(Run& run) {
  const TrainConfig& cfg = run.cfg;
  // The model is made on the CPU (the same initial weights on either device) and moved before the
  // optimiser takes its parameters, so the momentum buffers are made beside them.
  Generator gen(cfg.seed);
  run.facts = model_facts(cfg, run.train_data->num_classes());
  run.model = make_model(run.facts, gen);
  nn::set_conv_precision(*run.model, conv_precision(cfg.precision));
  run.model->to(run.device);
  nn::SGDOptions so;
  so.lr = cfg.lr;
  so.momentum = cfg.momentum;
  so.weight_decay = cfg.wd;
  so.nesterov = cfg.nesterov;
  run.optimizer = std::make_unique<nn::SGD>(run.model->named_parameters(), so);
  nn::ScheduleOptions sched;
  sched.kind = cfg.schedule == "step" ? nn::ScheduleOptions::Kind::MultiStep
                                      : nn::ScheduleOptions::Kind::Cosine;
  sched.base_lr = cfg.lr;
  sched.epochs = cfg.epochs;
  sched.iters_per_epoch = run.iters;
  sched.warmup_epochs = cfg.warmup_epochs;
  sched.milestones = cfg.milestones;
  run.schedule = std::make_unique<nn::LrSchedule>(sched);
  losses::ObjectiveOptions oo;
  oo.method = cfg.method;
  oo.la_tau = cfg.la_tau;
  oo.alpha = cfg.alpha;
  oo.beta = cfg.beta;
  oo.temperature = cfg.temperature;
  oo.device = run.device;
  run.objective = std::make_unique<losses::Objective>(oo, run.counts);
}

// ---- Resume: the checkpoint's weights, optimiser state, counters and log -------------------
void resume(Run& run) {
  const TrainConfig& cfg = run.cfg;
  run.checkpoint = cfg.out + "/last.safetensors";
  run.log_path = cfg.out + "/log.jsonl";
  if (cfg.resume) {
    BCL_CHECK(fs::exists(run.checkpoint), "--resume: there is no checkpoint at ", run.checkpoint);
    // The file holds CPU tensors; loading copies them onto the model's and optimiser's device, so
    // a run may resume on the other device (bitwise equality holds only on the same one).
    nn::CheckpointExtras extras = nn::load_checkpoint(run.checkpoint, *run.model);
    run.optimizer->load_state_dict(extras.sections["optimizer"]);
    run.first_epoch = std::stoll(extras.metadata.at("epoch"));
    run.step = std::stoll(extras.metadata.at("step"));
    run.train_seconds = std::stod(extras.metadata.at("train_seconds"));
    BCL_CHECK(extras.metadata.at("seed") == std::to_string(cfg.seed), "--resume: ", run.checkpoint,
              " was trained with --seed ", extras.metadata.at("seed"), ", not ", cfg.seed);
    // Epochs logged after the checkpoint (the run died between the two writes) are redone.
    for (const json& j : read_jsonl(run.log_path)) {
      EpochRecord r = epoch_from_json(j);
      if (r.epoch <= run.first_epoch) run.history.push_back(r);
    }
    std::fprintf(stderr, "resuming %s after epoch %lld (step %lld)\n", run.checkpoint.c_str(),
                 (long long)run.first_epoch, (long long)run.step);
  }
  std::string kept;
  for (const EpochRecord& r : run.history) kept += epoch_json(r).dump() + "\n";
  write_text_atomically(run.log_path, kept);
}

void print_start(const Run& run) {
  const TrainConfig& cfg = run.cfg;
  const data::Normalization& norm = run.splits.normalization;
  std::printf(
      "bcl-train: %s on %s (%lld train images, %lld classes, %lld test), %s, %lld "
      "epochs of %lld steps, device %s, %d threads, normalize mean (%.4f, %.4f, %.4f) std (%.4f, "
      "%.4f, %.4f)\n",
      cfg.model.c_str(), cfg.data.c_str(), (long long)run.train_data->size(),
      (long long)run.train_data->num_classes(), (long long)run.test_data->size(),
      cfg.method.c_str(), (long long)cfg.epochs, (long long)run.iters, cfg.device.c_str(),
      omp_get_max_threads(), norm.mean[0], norm.mean[1], norm.mean[2], norm.std[0], norm.std[1],
      norm.std[2]);
  std::fflush(stdout);
}

// ---- One epoch: the steps, the evaluation, the log line and the checkpoint -----------------
EpochRecord train_epoch(Run& run, int64_t epoch, Progress& progress) {
  const TrainConfig& cfg = run.cfg;
  nn::BCLModel& model = *run.model;
  model.train();
  run.batches->start_epoch(epoch);
  const double t0 = now_seconds();
  double lr = 0;
  int64_t images = 0, batch_index = 0;
  StepLosses losses;
  for (TrainBatch b; run.batches->next(b);) {
    lr = run.schedule->lr_at(run.step);
    run.optimizer->set_lr(lr);
    const losses::Objective::Terms terms =
        run.objective->loss(run.objective->forward(model, b.views), b.labels);
    run.optimizer->zero_grad();
    backward(terms.total);
    run.optimizer->step();
    ++run.step;
    ++batch_index;
    images += b.labels.numel();
    losses.add(terms);
    if (!progress.due(batch_index, run.iters)) continue;
    losses.read(epoch);
    const double elapsed = now_seconds() - t0;
    const double per_step = elapsed / static_cast<double>(batch_index);
    progress.update(epoch + 1, cfg.epochs, batch_index, run.iters,
                    losses.loss / static_cast<double>(losses.steps_read()), images / elapsed,
                    per_step * static_cast<double>((cfg.epochs - epoch) * run.iters - batch_index));
  }
  losses.read(epoch);
  progress.finish_epoch();
  EpochRecord rec;
  rec.epoch = epoch + 1;
  rec.lr = lr;
  rec.train_loss = losses.loss / static_cast<double>(run.iters);
  rec.train_ce = losses.ce / static_cast<double>(run.iters);
  if (run.objective->contrastive())
    rec.train_contrastive = losses.contrastive / static_cast<double>(run.iters);
  rec.seconds = now_seconds() - t0;
  rec.img_per_s = static_cast<double>(images) / rec.seconds;
  return rec;
}

void evaluate_if_due(Run& run, EpochRecord& rec) {
  const TrainConfig& cfg = run.cfg;
  if (rec.epoch % cfg.eval_every != 0 && rec.epoch != cfg.epochs) return;
  const Predictions p =
      predict(*run.model, run.test_data, run.eval_transform, cfg.batch_size, cfg.workers);
  rec.test = run.last_eval = summarize(p.predicted, p.labels, run.counts);
  rec.evaluated = run.have_eval = true;
}

void print_epoch(const Run& run, const EpochRecord& rec) {
  char terms_text[64] = "";
  if (rec.train_contrastive)
    std::snprintf(terms_text, sizeof terms_text, " (ce %.4f, %s %.4f)", rec.train_ce,
                  run.cfg.method.c_str(), *rec.train_contrastive);
  std::printf("epoch %3lld/%lld  loss %.4f%s  lr %.4f  %s  %.0f img/s  %.0f s\n",
              (long long)rec.epoch, (long long)run.cfg.epochs, rec.train_loss, terms_text, rec.lr,
              rec.evaluated ? one_line(rec.test).c_str() : "(not evaluated)", rec.img_per_s,
              rec.seconds);
  std::fflush(stdout);
}

// The log line first, then the checkpoint: a run killed between the two redoes the epoch.
void record_epoch(Run& run, const EpochRecord& rec) {
  run.history.push_back(rec);
  append_line(run.log_path, epoch_json(rec).dump());
  nn::CheckpointExtras extras;
  extras.sections["optimizer"] = run.optimizer->state_dict();
  extras.metadata = run_metadata(run.cfg, run.facts, run.counts, run.train_data->class_names,
                                 run.splits.normalization);
  extras.metadata["epoch"] = std::to_string(rec.epoch);
  extras.metadata["step"] = std::to_string(run.step);
  extras.metadata["train_seconds"] = std::to_string(run.train_seconds);
  extras.metadata["config"] = run.resolved_config;
  nn::save_checkpoint(run.checkpoint, *run.model, extras);
}

// ---- Finish: final metrics, the geometry of the projections, the report --------------------
void finish(Run& run) {
  const TrainConfig& cfg = run.cfg;
  if (!run.have_eval) {  // resumed a finished run
    const Predictions p =
        predict(*run.model, run.test_data, run.eval_transform, cfg.batch_size, cfg.workers);
    run.last_eval = summarize(p.predicted, p.labels, run.counts);
  }
  const std::vector<std::string>& class_names = run.train_data->class_names;
  json metrics = to_json(run.last_eval);
  metrics["class_counts"] = run.counts;
  metrics["test_counts"] = run.test_data->class_counts();
  metrics["class_names"] = class_names;
  metrics["train_seconds"] = run.train_seconds;
  metrics["normalize"] = {{"mean", run.splits.normalization.mean},
                          {"std", run.splits.normalization.std}};
  metrics["confusion"] = run.last_eval.confusion;
  metrics["method"] = cfg.method;
  metrics["epochs"] = cfg.epochs;
  metrics["device"] = cfg.device;
  // The projections mean something only where a contrastive loss trained the head.
  std::optional<losses::Geometry> geometry;
  if (run.objective->contrastive()) {
    geometry = measure_geometry(*run.model, run.test_data, run.eval_transform, cfg.batch_size,
                                cfg.workers);
    metrics["geometry"] = losses::to_json(*geometry);
    std::printf("geometry: %s\n", losses::one_line(*geometry).c_str());
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
                  {"train time", Progress::format_duration(run.train_seconds)}};
  report.epochs = run.history;
  report.final_result = run.last_eval;
  report.class_names = class_names;
  report.train_counts = run.counts;
  if (geometry) {
    report.geometry_line = losses::one_line(*geometry);
    report.geometry_svg = cosine_heatmap_svg(*geometry, class_names);
  }
  write_text_atomically(cfg.out + "/report.html", render_report(report));
  std::printf("final: %s  (train %.0f s)  -> %s/metrics.json, %s/report.html\n",
              one_line(run.last_eval).c_str(), run.train_seconds, cfg.out.c_str(), cfg.out.c_str());
}

}  // namespace

void run_training(const TrainConfig& cfg, const std::string& resolved_config) {
  if (cfg.threads > 0) omp_set_num_threads(cfg.threads);
  fs::create_directories(cfg.out);
  write_text_atomically(cfg.out + "/config.toml", resolved_config);

  Run run(cfg, resolved_config);
  setup_data(run);
  setup_model(run);
  resume(run);
  print_start(run);
  // The labels were checked when the dataset was validated, so on a GPU the losses need not read
  // them back every step (tensor/value_checks.h).
  std::optional<NoGpuValueChecks> no_label_reads;
  if (run.device != Device::CPU) no_label_reads.emplace();
  Progress progress;
  for (int64_t epoch = run.first_epoch; epoch < cfg.epochs; ++epoch) {
    EpochRecord rec = train_epoch(run, epoch, progress);
    run.train_seconds += rec.seconds;
    evaluate_if_due(run, rec);
    print_epoch(run, rec);
    record_epoch(run, rec);
  }
  finish(run);
}

}  // namespace bcl::train
