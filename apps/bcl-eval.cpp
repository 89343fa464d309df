// bcl-eval: evaluates a bcl-train checkpoint on a dataset's test split.
//
//   build/bcl-eval --checkpoint runs/bs/last.safetensors --data folder:DIR [--out FILE]
//                  [--device cpu|cuda]
//
// Writes FILE (default: eval_metrics.json beside the checkpoint) with the fields of bcl-train's
// metrics.json and the confusion matrix. The many/medium/few groups use the training counts
// stored in the checkpoint, and the inputs are normalised as they were in training.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>

#include "train/evaluate.h"
#include "train/flags.h"
#include "train/metrics.h"
#include "train/run_files.h"

using namespace bcl;

namespace {

int evaluate(const std::string& checkpoint, const std::string& spec, std::string out,
             int64_t batch_size, int workers, Device device) {
  train::CheckpointOnTestSet run =
      train::load_checkpoint_on_test_set(checkpoint, spec, "bcl-eval", device);
  const train::RunInfo& info = run.info;
  const std::shared_ptr<const data::Dataset>& test = run.test;
  const train::Predictions p = train::predict(*run.model, test, run.transform, batch_size, workers);
  const train::EvalResult r = train::summarize(p.predicted, p.labels, info.class_counts);

  nlohmann::json metrics = train::to_json(r);
  metrics["class_counts"] = info.class_counts;
  metrics["test_counts"] = test->class_counts();
  metrics["class_names"] = info.class_names;
  metrics["normalize"] = {{"mean", info.normalization.mean}, {"std", info.normalization.std}};
  metrics["confusion"] = r.confusion;
  metrics["checkpoint"] = checkpoint;
  metrics["data"] = spec;
  metrics["device"] = device_name(device);
  if (out.empty())
    out = (std::filesystem::path(checkpoint).parent_path() / "eval_metrics.json").string();
  train::write_text_atomically(out, metrics.dump(2) + "\n");
  std::printf("bcl-eval: %s  (%lld test images) -> %s\n", train::one_line(r).c_str(),
              (long long)p.labels.size(), out.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"bcl-eval: evaluate a checkpoint on a test set"};
  std::string checkpoint, spec, out;
  int64_t batch_size = 256;
  int workers = 2;
  app.add_option("--checkpoint", checkpoint, "a bcl-train last.safetensors")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("--data", spec, "dataset spec (its test split is used)")->required();
  app.add_option("--out", out, "metrics file (default: eval_metrics.json beside the checkpoint)");
  app.add_option("--batch-size", batch_size)->check(CLI::PositiveNumber);
  app.add_option("--workers", workers)->check(CLI::Range(0, 64));
  std::string device = "cpu";
  train::add_device_flag(app, device);
  CLI11_PARSE(app, argc, argv);
  Device dev = Device::CPU;
  try {
    dev = train::parse_device_flag(device);  // before any file is read: fails at startup
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    return evaluate(checkpoint, spec, out, batch_size, workers, dev);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bcl-eval: error: %s\n", e.what());
    return 1;
  }
}
