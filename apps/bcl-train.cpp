// bcl-train: long-tailed training from the command line (train/trainer.h lists the outputs).
//
//   build/bcl-train --data folder:DIR --imbalance 100 --method bs --epochs 2 --out runs/bs
//   build/bcl-train --config runs/bs/config.toml --resume
#include <cstdio>

#include "tensor/error.h"
#include "train/trainer.h"

int main(int argc, char** argv) {
  CLI::App app{"bcl-train: train a long-tailed classifier (ce or balanced softmax)"};
  bcl::train::TrainConfig cfg;
  bcl::train::add_train_flags(app, cfg);
  try {
    app.parse(argc, argv);
    bcl::train::validate(cfg);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    bcl::train::run_training(cfg, app.config_to_str(true, false));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bcl-train: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
