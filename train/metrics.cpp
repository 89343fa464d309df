#include "train/metrics.h"

#include <cstdio>

#include "data/long_tail.h"
#include "tensor/error.h"

namespace bcl::train {

EvalResult summarize(const std::vector<int64_t>& predictions, const std::vector<int64_t>& labels,
                     const std::vector<int64_t>& train_counts) {
  BCL_CHECK(predictions.size() == labels.size(), "summarize: ", predictions.size(),
            " predictions for ", labels.size(), " labels");
  const size_t c = train_counts.size();
  EvalResult r;
  r.confusion.assign(c, std::vector<int64_t>(c, 0));
  int64_t correct = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    BCL_CHECK(labels[i] >= 0 && labels[i] < static_cast<int64_t>(c) && predictions[i] >= 0 &&
                  predictions[i] < static_cast<int64_t>(c),
              "summarize: label or prediction out of range at sample ", i);
    ++r.confusion[labels[i]][predictions[i]];
    correct += predictions[i] == labels[i];
  }
  r.overall = labels.empty() ? 0 : 100.0 * correct / labels.size();
  double sums[3] = {0, 0, 0};
  int counts[3] = {0, 0, 0};
  const std::vector<data::ClassGroup> groups = data::class_groups(train_counts);
  r.per_class.resize(c);
  for (size_t k = 0; k < c; ++k) {
    int64_t total = 0;
    for (int64_t n : r.confusion[k]) total += n;
    r.per_class[k] = total ? 100.0 * r.confusion[k][k] / total : 0.0;
    sums[static_cast<int>(groups[k])] += r.per_class[k];
    ++counts[static_cast<int>(groups[k])];
  }
  auto mean = [&](data::ClassGroup g) -> std::optional<double> {
    const int i = static_cast<int>(g);
    if (counts[i] == 0) return std::nullopt;
    return sums[i] / counts[i];
  };
  r.many = mean(data::ClassGroup::Many);
  r.medium = mean(data::ClassGroup::Medium);
  r.few = mean(data::ClassGroup::Few);
  return r;
}

nlohmann::json to_json(const EvalResult& r) {
  auto opt = [](const std::optional<double>& v) {
    return v ? nlohmann::json(*v) : nlohmann::json();
  };
  return {{"overall", r.overall},
          {"many", opt(r.many)},
          {"medium", opt(r.medium)},
          {"few", opt(r.few)},
          {"per_class", r.per_class}};
}

std::string one_line(const EvalResult& r) {
  auto fmt = [](const std::optional<double>& v) {
    char buf[16];
    if (!v) return std::string("-");
    std::snprintf(buf, sizeof buf, "%.1f", *v);
    return std::string(buf);
  };
  char buf[128];
  std::snprintf(buf, sizeof buf, "overall %.1f  many %s  medium %s  few %s", r.overall,
                fmt(r.many).c_str(), fmt(r.medium).c_str(), fmt(r.few).c_str());
  return buf;
}

}  // namespace bcl::train
