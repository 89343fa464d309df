// The files of a run folder, and what a checkpoint records about its run so that bcl-eval can
// rebuild the model without the training flags.
#pragma once

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/augment.h"
#include "nn/bcl_model.h"
#include "train/train_config.h"

namespace bcl::train {

// Writes path.tmp, then renames it over path: readers never see half a file.
void write_text_atomically(const std::string& path, const std::string& text);
void append_line(const std::string& path, const std::string& line);
// One JSON value per line; a missing file gives none; a bad line throws naming file and line.
std::vector<nlohmann::json> read_jsonl(const std::string& path);

// What it takes to rebuild the network.
struct ModelFacts {
  std::string model = "resnet32";
  int64_t num_classes = 10;
  bool cosine_classifier = false;
  int64_t head_hidden = 512, feat_dim = 128;
};
ModelFacts model_facts(const TrainConfig& cfg, int64_t num_classes);
std::unique_ptr<nn::BCLModel> make_model(const ModelFacts& facts, Generator& gen);

// Checkpoint metadata: the model facts, the seed, the method, the class names and training
// counts (for the many/medium/few groups) and the input normalisation, as strings.
std::map<std::string, std::string> run_metadata(const TrainConfig& cfg, const ModelFacts& facts,
                                                const std::vector<int64_t>& class_counts,
                                                const std::vector<std::string>& class_names,
                                                const data::Normalization& norm);

// The inverse, for bcl-eval; a missing or malformed entry throws naming the checkpoint.
struct RunInfo {
  ModelFacts facts;
  std::vector<int64_t> class_counts;
  std::vector<std::string> class_names;
  data::Normalization normalization;
};
RunInfo run_info_from(const std::map<std::string, std::string>& metadata, const std::string& path);

}  // namespace bcl::train
