// Learning-rate schedules, evaluated per iteration (it = epoch * iters_per_epoch + batch).
//
// Warmup (Goyal et al. 2017): over the first W = warmup_epochs * iters_per_epoch iterations the
// rate rises linearly, lr(it) = base * (it + 1) / W, reaching base at the last warmup iteration.
// Then, with T = epochs * iters_per_epoch the total and t = it - W:
//   Cosine     lr = base * (1 + cos(pi * t / (T - W))) / 2   (SGDR without restarts; -> 0 at T)
//   MultiStep  lr = base * gamma^k, k = the number of milestone epochs <= it / iters_per_epoch
#pragma once

#include <cstdint>
#include <vector>

namespace bcl::nn {

struct ScheduleOptions {
  enum class Kind { Cosine, MultiStep };
  Kind kind = Kind::Cosine;
  double base_lr = 0.1;
  int64_t epochs = 200;
  int64_t iters_per_epoch = 1;
  int64_t warmup_epochs = 0;
  std::vector<int64_t> milestones;  // epochs, for MultiStep
  double gamma = 0.1;               // MultiStep's factor
};

class LrSchedule {
 public:
  explicit LrSchedule(const ScheduleOptions& options);
  // The rate for iteration `it` (0-based). Past the end, Cosine stays at 0.
  double lr_at(int64_t it) const;
  int64_t total_iters() const { return options_.epochs * options_.iters_per_epoch; }
  int64_t warmup_iters() const { return options_.warmup_epochs * options_.iters_per_epoch; }

 private:
  ScheduleOptions options_;
};

}  // namespace bcl::nn
