// bcl-data: what a dataset spec holds, as JSON: class names, train and test counts (after the
// long-tail construction), and the many/medium/few class lists.
//
//   build/bcl-data --data folder:DIR --imbalance 100
#include <CLI/CLI.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "data/dataset_spec.h"
#include "data/long_tail.h"

using namespace bcl;

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
    std::printf("%s\n", out.dump(2).c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bcl-data: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
