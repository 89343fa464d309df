// configs/*.toml: every recipe parses with bcl-train's flags and passes its cross-flag checks, and
// the values the issue and the paper give are the ones in the files.
#include <filesystem>

#include "tests/apps/app_runner.h"
#include "tests/test_util.h"
#include "train/train_config.h"

using namespace bcl;

namespace {

std::string configs_dir() {
  return (std::filesystem::path(test::app_dir()) / ".." / "configs").lexically_normal().string();
}

train::TrainConfig parse_config(const std::string& path) {
  CLI::App cli;
  train::TrainConfig cfg;
  train::add_train_flags(cli, cfg);
  const char* argv[] = {"bcl-train", "--config", path.c_str()};
  cli.parse(3, const_cast<char**>(argv));
  train::validate(cfg);
  return cfg;
}

}  // namespace

TEST_CASE("configs/all_parse") {
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(configs_dir())) {
    if (entry.path().extension() != ".toml") continue;
    CAPTURE(entry.path().string());
    train::TrainConfig cfg;
    CHECK_NOTHROW(cfg = parse_config(entry.path().string()));
    CHECK(cfg.method == "bcl");
    ++files;
  }
  CHECK(files == 9);
}

TEST_CASE("configs/paper_and_budget_recipes") {
  const train::TrainConfig c = parse_config(configs_dir() + "/cifar100_lt_r50_bcl.toml");
  CHECK(c.data == "cifar100:data/cifar100");
  CHECK(c.imbalance == 50);
  CHECK(c.epochs == 200);
  CHECK(c.batch_size == 256);
  CHECK(c.lr == 0.15);
  CHECK(c.warmup_epochs == 5);
  CHECK(c.schedule == "step");
  CHECK(c.milestones == std::vector<int64_t>{160, 180});
  CHECK(c.alpha == 2.0);
  CHECK(c.beta == 0.6);
  CHECK(c.temperature == 0.1);
  CHECK(c.head_hidden == 512);
  CHECK(c.feat_dim == 128);
  CHECK(c.ce_aug == "autoaug-cutout");
  CHECK(c.cl_views == "sim-sim");

  const train::TrainConfig b = parse_config(configs_dir() + "/cifar10_lt_cpu_budget.toml");
  CHECK(b.imbalance == 100);
  CHECK(b.epochs == 20);
  CHECK(b.batch_size == 128);
  CHECK(b.lr == 0.1);
  CHECK(b.warmup_epochs == 1);
  CHECK(b.schedule == "cosine");
  CHECK(b.ce_aug == "crop-flip");

  const train::TrainConfig i = parse_config(configs_dir() + "/inat2018_bcl.toml");
  CHECK(i.model == "resnet50");
  CHECK(i.epochs == 100);
  CHECK(i.lr == 0.2);
  CHECK(i.wd == 1e-4);
  CHECK(i.cosine_classifier);
  CHECK(i.beta == 0.35);
  CHECK(i.temperature == 0.07);
  CHECK(i.head_hidden == 2048);
  CHECK(i.feat_dim == 1024);
}
