// bcl-geometry: the geometry of a checkpoint's contrastive branch on a test set.
//
//   build/bcl-geometry --checkpoint runs/bcl/last.safetensors --data folder:DIR [--out FILE]
//                      [--device cpu|cuda]
//
// Computes, on the test split (losses/geometry.h): the class means of the normalised
// projections, their pairwise cosines, the mean and max deviation of those cosines from the
// regular simplex's -1/(C-1), the spread of the class-mean norms and the within-class spread.
// Writes FILE (default: geometry.json beside the checkpoint) and the cosine heatmap beside it
// (same name, .svg), and prints the summary line. Balanced contrastive learning (Zhu et al. 2022)
// predicts small deviations; supervised contrastive learning on long-tailed data, larger ones.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>

#include "losses/geometry.h"
#include "train/evaluate.h"
#include "train/flags.h"
#include "train/report.h"
#include "train/run_files.h"

using namespace bcl;

namespace {

int run(const std::string& checkpoint, const std::string& spec, std::string out, int64_t batch_size,
        int workers, Device device) {
  train::CheckpointOnTestSet run =
      train::load_checkpoint_on_test_set(checkpoint, spec, "bcl-geometry", device);
  const train::RunInfo& info = run.info;
  const std::shared_ptr<const data::Dataset>& test = run.test;
  const losses::Geometry g =
      train::measure_geometry(*run.model, test, run.transform, batch_size, workers);

  nlohmann::json j = losses::to_json(g);
  j["checkpoint"] = checkpoint;
  j["data"] = spec;
  j["device"] = device_name(device);
  j["class_names"] = info.class_names;
  if (out.empty())
    out = (std::filesystem::path(checkpoint).parent_path() / "geometry.json").string();
  train::write_text_atomically(out, j.dump(2) + "\n");
  const std::string svg = std::filesystem::path(out).replace_extension(".svg").string();
  train::write_text_atomically(svg, train::cosine_heatmap_svg(g, info.class_names) + "\n");
  std::printf("bcl-geometry: %s -> %s, %s\n", losses::one_line(g).c_str(), out.c_str(),
              svg.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"bcl-geometry: class-mean geometry of a checkpoint's projections on a test set"};
  std::string checkpoint, spec, out;
  int64_t batch_size = 256;
  int workers = 2;
  app.add_option("--checkpoint", checkpoint, "a bcl-train last.safetensors")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("--data", spec, "dataset spec (its test split is used)")->required();
  app.add_option("--out", out, "JSON file (default: geometry.json beside the checkpoint)");
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
    return run(checkpoint, spec, out, batch_size, workers, dev);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bcl-geometry: error: %s\n", e.what());
    return 1;
  }
}
