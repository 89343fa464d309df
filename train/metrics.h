// Evaluation summaries for long-tailed classification: overall accuracy, the many/medium/few
// class groups, per-class accuracy and the confusion matrix.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace bcl::train {

struct EvalResult {
  double overall = 0;  // correct / total, in percent
  // Mean per-class accuracy over the classes of each group, in percent; empty when the group has
  // no class (CIFAR-10-LT at R=100 has no "few" class: its smallest class has 50 images).
  std::optional<double> many, medium, few;
  std::vector<double> per_class;                // percent
  std::vector<std::vector<int64_t>> confusion;  // [true class][predicted class]
};

// Groups come from the training counts: many > 100, medium 20..100, few < 20.
EvalResult summarize(const std::vector<int64_t>& predictions, const std::vector<int64_t>& labels,
                     const std::vector<int64_t>& train_counts);

// {"overall", "many", "medium", "few" (null when empty), "per_class"}.
nlohmann::json to_json(const EvalResult& r);
// "overall 41.2  many 55.0  medium 20.1  few -"
std::string one_line(const EvalResult& r);

}  // namespace bcl::train
