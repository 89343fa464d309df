// Long-tailed training sets made from balanced ones, and the many/medium/few class groups.
//
// The construction is that of LDAM-DRW (Cao et al., NeurIPS 2019), used by BCL and most CIFAR-LT
// papers. With C classes, the largest class size n_max and imbalance ratio R = n_max / n_min:
//   exponential: n_i = floor(n_max * (1/R)^(i / (C - 1)))      (class 0 the head, C-1 the tail)
//   step:        n_i = n_max for i < C/2 (integer division), floor(n_max * (1/R)) after
// computed in double precision exactly as LDAM's Python does, so CIFAR-10 at R = 100 keeps
// 5000, 2997, 1796, 1077, 645, 387, 232, 139, 83, 50 images (12,406) and CIFAR-100 10,847.
// Only the training set is reduced; the test set stays balanced.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/dataset.h"

namespace bcl::data {

enum class ImbalanceType { Exponential, Step };

// "exp" or "step"; anything else is a bcl::Error naming the flag.
ImbalanceType parse_imbalance_type(const std::string& name);

struct LongTailOptions {
  double ratio = 1.0;  // R >= 1; 1 keeps everything
  ImbalanceType type = ImbalanceType::Exponential;
  uint64_t data_seed = 0;  // which images of each class are kept
};

// The target size of each of `num_classes` classes.
std::vector<int64_t> long_tail_counts(int64_t n_max, int64_t num_classes, double ratio,
                                      ImbalanceType type);

// Indices (ascending) of the samples to keep, from the labels alone: class i keeps
// min(n_i, its size) samples with n_max its largest class size, chosen by a shuffle of the class
// seeded with (data_seed, i), so the choice is deterministic and independent between classes.
std::vector<int64_t> long_tail_indices(const std::vector<int64_t>& labels, int64_t num_classes,
                                       const LongTailOptions& options);

Dataset make_long_tailed(const Dataset& train, const LongTailOptions& options);

// The usual split of long-tailed results by training-set size.
enum class ClassGroup { Many, Medium, Few };  // > 100 images, 20 to 100, < 20
ClassGroup class_group(int64_t train_count);
std::vector<ClassGroup> class_groups(const std::vector<int64_t>& train_counts);
const char* class_group_name(ClassGroup group);  // "many", "medium", "few"

}  // namespace bcl::data
