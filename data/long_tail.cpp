#include "data/long_tail.h"

#include <algorithm>
#include <cmath>

#include "data/sampling.h"
#include "tensor/error.h"

namespace bcl::data {
namespace {

// The stream number of the per-class selection shuffles in derive_seed.
constexpr uint32_t kLongTailStream = 0x4c54;  // "LT"

}  // namespace

ImbalanceType parse_imbalance_type(const std::string& name) {
  if (name == "exp") return ImbalanceType::Exponential;
  if (name == "step") return ImbalanceType::Step;
  BCL_CHECK(false, "--imbalance-type: unknown type '", name, "' (expected exp or step)");
  return ImbalanceType::Exponential;
}

std::vector<int64_t> long_tail_counts(int64_t n_max, int64_t num_classes, double ratio,
                                      ImbalanceType type) {
  BCL_CHECK(ratio >= 1.0, "--imbalance: ratio ", ratio, " must be at least 1");
  BCL_CHECK(n_max >= 0 && num_classes >= 1, "long_tail_counts: bad sizes n_max=", n_max,
            " classes=", num_classes);
  const double factor = 1.0 / ratio;  // LDAM's imb_factor
  std::vector<int64_t> counts(static_cast<size_t>(num_classes));
  for (int64_t i = 0; i < num_classes; ++i) {
    double n = static_cast<double>(n_max);
    if (type == ImbalanceType::Exponential && num_classes > 1) {
      n = n_max * std::pow(factor, static_cast<double>(i) / (num_classes - 1.0));
    } else if (type == ImbalanceType::Step && i >= num_classes / 2) {
      n = n_max * factor;
    }
    counts[static_cast<size_t>(i)] = static_cast<int64_t>(n);  // truncation, as Python's int()
  }
  return counts;
}

std::vector<int64_t> long_tail_indices(const std::vector<int64_t>& labels, int64_t num_classes,
                                       const LongTailOptions& options) {
  std::vector<std::vector<int64_t>> by_class(static_cast<size_t>(num_classes));
  for (size_t i = 0; i < labels.size(); ++i) {
    BCL_CHECK(labels[i] >= 0 && labels[i] < num_classes, "long_tail_indices: label ", labels[i],
              " out of range for ", num_classes, " classes");
    by_class[static_cast<size_t>(labels[i])].push_back(static_cast<int64_t>(i));
  }
  int64_t n_max = 0;
  for (const auto& members : by_class)
    n_max = std::max(n_max, static_cast<int64_t>(members.size()));
  const std::vector<int64_t> targets =
      long_tail_counts(n_max, num_classes, options.ratio, options.type);

  std::vector<int64_t> keep;
  for (int64_t c = 0; c < num_classes; ++c) {
    std::vector<int64_t>& members = by_class[static_cast<size_t>(c)];
    const size_t n = std::min(members.size(), static_cast<size_t>(targets[static_cast<size_t>(c)]));
    Generator gen(derive_seed(options.data_seed, static_cast<uint64_t>(c), kLongTailStream));
    shuffle(members, gen);
    keep.insert(keep.end(), members.begin(), members.begin() + static_cast<std::ptrdiff_t>(n));
  }
  std::sort(keep.begin(), keep.end());
  return keep;
}

Dataset make_long_tailed(const Dataset& train, const LongTailOptions& options) {
  return train.subset(long_tail_indices(train.labels, train.num_classes(), options));
}

ClassGroup class_group(int64_t train_count) {
  if (train_count > 100) return ClassGroup::Many;
  if (train_count >= 20) return ClassGroup::Medium;
  return ClassGroup::Few;
}

std::vector<ClassGroup> class_groups(const std::vector<int64_t>& train_counts) {
  std::vector<ClassGroup> groups;
  groups.reserve(train_counts.size());
  for (int64_t n : train_counts) groups.push_back(class_group(n));
  return groups;
}

const char* class_group_name(ClassGroup group) {
  switch (group) {
    case ClassGroup::Many:
      return "many";
    case ClassGroup::Medium:
      return "medium";
    case ClassGroup::Few:
      return "few";
  }
  return "?";
}

}  // namespace bcl::data
