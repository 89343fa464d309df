#include "train/run_files.h"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "nn/classifier.h"
#include "tensor/error.h"

namespace bcl::train {
using json = nlohmann::json;

void write_text_atomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    BCL_CHECK(f.good(), "cannot write ", tmp);
    f << text;
    f.flush();
    BCL_CHECK(f.good(), "write to ", tmp, " failed (disk full?)");
  }
  BCL_CHECK(std::rename(tmp.c_str(), path.c_str()) == 0, "cannot rename ", tmp, " to ", path);
}

void append_line(const std::string& path, const std::string& line) {
  std::ofstream f(path, std::ios::app);
  BCL_CHECK(f.good(), "cannot append to ", path);
  f << line << '\n';
}

std::vector<json> read_jsonl(const std::string& path) {
  std::vector<json> out;
  std::ifstream f(path);
  if (!f.good()) return out;
  std::string line;
  for (int n = 1; std::getline(f, line); ++n) {
    if (line.empty()) continue;
    try {
      out.push_back(json::parse(line));
    } catch (const json::exception& e) {
      BCL_CHECK(false, path, ":", n, ": not a JSON line (", e.what(), ")");
    }
  }
  return out;
}

ModelFacts model_facts(const TrainConfig& cfg, int64_t num_classes) {
  ModelFacts f;
  f.model = cfg.model;
  f.num_classes = num_classes;
  f.cosine_classifier = cfg.cosine_classifier;
  f.head_hidden = cfg.head_hidden;
  f.feat_dim = cfg.feat_dim;
  return f;
}

std::unique_ptr<nn::BCLModel> make_model(const ModelFacts& facts, Generator& gen) {
  nn::BCLModelOptions mo;
  mo.classifier.num_classes = facts.num_classes;
  mo.classifier.normed = facts.cosine_classifier;
  mo.head_hidden = facts.head_hidden;
  mo.head_out = facts.feat_dim;
  return std::make_unique<nn::BCLModel>(nn::make_encoder(facts.model, gen), mo, gen);
}

std::map<std::string, std::string> run_metadata(const TrainConfig& cfg, const ModelFacts& facts,
                                                const std::vector<int64_t>& class_counts,
                                                const std::vector<std::string>& class_names,
                                                const data::Normalization& norm) {
  return {{"format", "bcl-checkpoint-1"},
          {"model", facts.model},
          {"num_classes", std::to_string(facts.num_classes)},
          {"cosine_classifier", facts.cosine_classifier ? "true" : "false"},
          {"head_hidden", std::to_string(facts.head_hidden)},
          {"feat_dim", std::to_string(facts.feat_dim)},
          {"method", cfg.method},
          {"seed", std::to_string(cfg.seed)},
          {"class_counts", json(class_counts).dump()},
          {"class_names", json(class_names).dump()},
          {"normalize", json{{"mean", norm.mean}, {"std", norm.std}}.dump()}};
}

RunInfo run_info_from(const std::map<std::string, std::string>& m, const std::string& path) {
  auto get = [&](const char* key) -> const std::string& {
    auto it = m.find(key);
    BCL_CHECK(it != m.end(), path, ": the checkpoint's metadata has no '", key,
              "' (was it written by bcl-train?)");
    return it->second;
  };
  RunInfo info;
  try {
    info.facts.model = get("model");
    info.facts.num_classes = std::stoll(get("num_classes"));
    info.facts.cosine_classifier = get("cosine_classifier") == "true";
    info.facts.head_hidden = std::stoll(get("head_hidden"));
    info.facts.feat_dim = std::stoll(get("feat_dim"));
    info.class_counts = json::parse(get("class_counts")).get<std::vector<int64_t>>();
    info.class_names = json::parse(get("class_names")).get<std::vector<std::string>>();
    const json norm = json::parse(get("normalize"));
    info.normalization.mean = norm.at("mean").get<std::array<float, 3>>();
    info.normalization.std = norm.at("std").get<std::array<float, 3>>();
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    BCL_CHECK(false, path, ": malformed checkpoint metadata (", e.what(), ")");
  }
  return info;
}

}  // namespace bcl::train
