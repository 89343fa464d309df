// bcl-data: what a dataset spec holds, as JSON: class names, train and test counts (after the
// long-tail construction), and the many/medium/few class lists. With --show-augment N it also
// writes DIR/augment.png: N training images (evenly spaced through the training set), each followed
// by its three training views (CE, contrastive 1, contrastive 2) as bcl_train_transform makes them
// for --ce-aug and --cl-views, upscaled so that 32 px images are visible. With --export DIR it
// writes the training set (after the long-tail cut) and the test set as PNG folders,
// DIR/{train,test}/<class>/<index>.png: the very pixels bcl-train sees, after its JPEG decoder, for
// another framework to train on (scripts/pytorch_bcl_reference.py reads that layout).
//
//   build/bcl-data --data folder:DIR --imbalance 100
//   build/bcl-data --data folder:DIR --show-augment 8 --out runs/aug --cl-views sim-rand
//   build/bcl-data --data folder:DIR --imbalance 100 --export runs/cifar10-lt-r100
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/augment.h"
#include "data/dataset_spec.h"
#include "data/image_io.h"
#include "data/long_tail.h"
#include "tensor/error.h"

using namespace bcl;

namespace {

// Writes ds as dir/<class>/<index>.png, the index zero-padded to one width, so that a folder
// reader's sorted order is the split's order. Returns the number of files written.
int64_t export_split(const data::Dataset& ds, const std::filesystem::path& dir) {
  const int width = static_cast<int>(std::to_string(std::max<int64_t>(ds.size() - 1, 0)).size());
  for (const std::string& name : ds.class_names) std::filesystem::create_directories(dir / name);
  for (int64_t i = 0; i < ds.size(); ++i) {
    const data::Image img = ds.image(i);
    std::string index = std::to_string(i);
    index.insert(0, static_cast<size_t>(width) - index.size(), '0');
    const std::string file =
        (dir / ds.class_names[static_cast<size_t>(ds.labels[static_cast<size_t>(i)])] /
         (index + ".png"))
            .string();
    data::write_png(img, file);
  }
  return ds.size();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"bcl-data: describe a (long-tailed) dataset as JSON"};
  std::string spec, type = "exp";
  double ratio = 1;
  uint64_t data_seed = 0;
  app.add_option("--data", spec,
                 "dataset spec: cifar10:DIR, cifar100:DIR, folder:DIR, "
                 "list:ROOT:TRAIN.txt:TEST.txt")
      ->required();
  app.add_option("--imbalance", ratio, "imbalance ratio R (1: as is)")->check(CLI::Range(1.0, 1e9));
  app.add_option("--imbalance-type", type)->check(CLI::IsMember({"exp", "step"}));
  app.add_option("--data-seed", data_seed);
  int64_t show = 0, zoom = 0;
  uint64_t seed = 0;
  std::string out_dir, export_dir, ce_aug = "autoaug-cutout", cl_views = "sim-sim";
  CLI::Option* out_opt =
      app.add_option("--out", out_dir, "folder for --show-augment's picture (augment.png)");
  app.add_option("--show-augment", show,
                 "write a PNG of N training images, each with its 3 training views")
      ->check(CLI::Range(int64_t{1}, int64_t{100000}))
      ->needs(out_opt);
  app.add_option("--ce-aug", ce_aug,
                 "classifier view for --show-augment: crop-flip, autoaug-cutout or randaug");
  app.add_option("--cl-views", cl_views,
                 "contrastive views for --show-augment: sim-sim, sim-rand or rand-rand");
  app.add_option("--seed", seed, "augmentation seed for --show-augment");
  app.add_option("--export", export_dir,
                 "write the training set (after the long-tail cut) and the test set as PNG "
                 "folders DIR/{train,test}/<class>/<index>.png");
  app.add_option("--zoom", zoom,
                 "--show-augment's upscaling factor (0: 4 for images up to 64 px, else 1)")
      ->check(CLI::Range(int64_t{0}, int64_t{64}));
  CLI11_PARSE(app, argc, argv);
  try {
    data::DataSplits splits = data::load_dataset(spec);
    data::LongTailOptions lt;
    lt.ratio = ratio;
    lt.type = data::parse_imbalance_type(type);
    lt.data_seed = data_seed;
    const data::Dataset train = ratio > 1 ? data::make_long_tailed(splits.train, lt) : splits.train;
    const std::vector<int64_t> counts = train.class_counts();
    nlohmann::json groups = {{"many", nlohmann::json::array()},
                             {"medium", nlohmann::json::array()},
                             {"few", nlohmann::json::array()}};
    const std::vector<data::ClassGroup> g = data::class_groups(counts);
    for (size_t c = 0; c < counts.size(); ++c)
      groups[data::class_group_name(g[c])].push_back(train.class_names[c]);
    nlohmann::json out = {{"data", spec},
                          {"imbalance", ratio},
                          {"imbalance_type", type},
                          {"classes", train.class_names},
                          {"train_counts", counts},
                          {"train_total", train.size()},
                          {"test_counts", splits.test.class_counts()},
                          {"test_total", splits.test.size()},
                          {"groups", groups}};
    if (show > 0) {
      BCL_CHECK(train.size() > 0, "--show-augment: the training set is empty");
      const data::MultiViewTransform views = data::bcl_train_transform(
          ce_aug, cl_views, splits.normalization, splits.image_size,
          data::mean_fill_colour(splits.normalization), splits.large_images);
      const int64_t n = std::min(show, train.size());
      std::vector<int64_t> indices;
      std::vector<data::Image> images;
      nlohmann::json labels = nlohmann::json::array();
      for (int64_t i = 0; i < n; ++i) {
        indices.push_back(i * train.size() / n);
        images.push_back(train.image(indices.back()));
        labels.push_back(train.class_names[static_cast<size_t>(
            train.labels[static_cast<size_t>(indices.back())])]);
      }
      if (zoom == 0) zoom = splits.image_size <= 64 ? 4 : 1;
      const data::Image grid = data::augmentation_grid(images, indices, views, seed, zoom);
      std::filesystem::create_directories(out_dir);
      const std::string file = (std::filesystem::path(out_dir) / "augment.png").string();
      data::write_png(grid, file);
      nlohmann::json columns = {"image"};
      for (const data::Pipeline& p : views.views) columns.push_back(p.describe());
      out["augment_grid"] = {{"file", file},       {"images", indices}, {"labels", labels},
                             {"columns", columns}, {"ce_aug", ce_aug},  {"cl_views", cl_views},
                             {"seed", seed},       {"zoom", zoom}};
    }
    if (!export_dir.empty()) {
      const std::filesystem::path root(export_dir);
      BCL_CHECK(!std::filesystem::exists(root / "train") && !std::filesystem::exists(root / "test"),
                "--export: ", export_dir,
                " already holds a train or test folder; give a new or empty folder");
      const int64_t n_train = export_split(train, root / "train");
      const int64_t n_test = export_split(splits.test, root / "test");
      out["export"] = {{"dir", export_dir}, {"train", n_train}, {"test", n_test}};
    }
    std::printf("%s\n", out.dump(2).c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bcl-data: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
