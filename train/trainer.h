// bcl-train's job: long-tailed training of the BCL model's classifier branch with cross-entropy
// (ce) or balanced softmax (bs), with a checkpoint after every epoch, a per-epoch log, the final
// metrics and an HTML report in the run folder:
//
//   config.toml        the resolved flags (bcl-train --config config.toml repeats the run)
//   log.jsonl          one line per epoch: epoch, lr, train_loss, test_*, img_per_s, seconds
//   last.safetensors   model + optimiser state + metadata (epoch, step, seed, class counts...)
//   metrics.json       the final evaluation
//   report.html        curves and per-class accuracy (train/report.h)
#pragma once

#include <string>

#include "train/train_config.h"

namespace bcl::train {

// `resolved_config` is the text written to config.toml. Throws bcl::Error on bad data or state.
void run_training(const TrainConfig& cfg, const std::string& resolved_config);

}  // namespace bcl::train
