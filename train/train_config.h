// The flags of bcl-train, in one struct, bound to the command line with CLI11. The same keys work
// in a --config file (TOML or INI: `lr = 0.1`), and the resolved configuration is written to the
// run's folder so a run can be repeated with `bcl-train --config DIR/config.toml`.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "nn/layers.h"

namespace bcl::train {

struct TrainConfig {
  // Data
  std::string data = "folder:data/embedded/cifar10-lt-mini";
  double imbalance = 1;  // R = n_max / n_min; 1 keeps the training set as it is
  std::string imbalance_type = "exp";
  uint64_t data_seed = 0;
  int workers = 2;
  // Upload the training images to --device once and make the views there (train/batch_source.h).
  bool data_on_device = false;
  std::string normalize =
      "auto";  // data::choose_normalization: auto|dataset|cifar10|cifar100|imagenet
  // Model
  std::string model = "resnet32";
  bool cosine_classifier = false;
  int64_t head_hidden = 512, feat_dim = 128;
  // Objective: ce = cross-entropy; bs = balanced softmax (logit adjustment with la_tau);
  // scl, bcl = alpha * logit-adjusted CE on the CE view + beta * SupCon or BCL on the two
  // contrastive views.
  std::string method = "ce";
  double la_tau = 1.0;
  double alpha = 2.0, beta = 0.6, temperature = 0.1;
  // Augmentation: the CE view, and the two contrastive views (scl, bcl).
  std::string ce_aug = "crop-flip";
  std::string cl_views = "sim-sim";
  // Optimisation
  int64_t epochs = 200, batch_size = 128;
  double lr = 0.1, wd = 5e-4, momentum = 0.9;
  bool nesterov = false;
  int64_t warmup_epochs = 0;
  std::string schedule = "cosine";
  // --milestones "160,180" as written (a config file writes an empty list as ""), and its parse.
  std::string milestones_text;
  std::vector<int64_t> milestones;
  // Run
  std::string device = "cpu";  // cpu | cuda (train/flags.h)
  // fp32, or bf16: the convolutions in bfloat16 with float32 sums and master weights (nn/layers.h).
  std::string precision = "fp32";
  uint64_t seed = 0;
  int threads = 0;  // 0: OpenMP's default
  std::string out = "runs/latest";
  bool resume = false;
  int64_t eval_every = 1;  // evaluate on the test set every N epochs (and at the last one)
};

// --precision fp32|bf16 (bcl-train's and bcl-bench's), and what it sets on the model's
// convolutions.
void add_precision_flag(CLI::App& app, std::string& precision);
nn::Precision conv_precision(const std::string& precision);

// Registers every field as a flag (--data, --imbalance, ..., --config FILE).
void add_train_flags(CLI::App& app, TrainConfig& cfg);

// Parses --milestones, makes the cross-flag checks CLI11 cannot express, and checks that --device
// can run here (cuda needs a CUDA=1 build and a GPU); throws CLI::ValidationError naming the flag.
void validate(TrainConfig& cfg);

}  // namespace bcl::train
