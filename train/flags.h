// The flags the programs share, spelled one way in every program: --batch-size, --threads, --seed,
// --device, --data, --model, --method and --precision (tests/apps/test_flags.cpp holds every
// program's --help to it). Old spellings stay accepted, hidden, so earlier commands and
// config.toml files still work.
//
// --device (bcl-train, bcl-eval, bcl-geometry, bcl-bench) says where the model, the optimiser
// state and the training step run. The data pipeline always runs on the CPU;
// on cuda each batch is copied to the GPU right before the step, and what the host reads (losses,
// logits for the metrics, projections for the geometry) is copied back.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "tensor/tensor.h"

namespace bcl::train {

// Registers `old_name` as a hidden second spelling of `canonical`, bound to the same value.
template <class T>
CLI::Option* add_old_spelling(CLI::App& app, const std::string& old_name, T& value,
                              const std::string& canonical) {
  return app.add_option(old_name, value, "the old spelling of " + canonical)->group("");
}

// Registers `--device cpu|cuda` bound to `value` (default "cpu").
CLI::Option* add_device_flag(CLI::App& app, std::string& value);

// Why `--device <value>` cannot run here, or "" when it can: cuda needs a CUDA=1 build and a GPU.
std::string device_unavailable_reason(const std::string& value);

// The device named by a checked flag value; throws CLI::ValidationError naming the flag ("--device
// cuda: no CUDA GPU found") when it cannot run here, so a program fails at startup.
Device parse_device_flag(const std::string& value);

// Each of xs on `device` (raw::to_device: a tensor already there is not copied).
std::vector<Tensor> to_device(const std::vector<Tensor>& xs, Device device);

}  // namespace bcl::train
