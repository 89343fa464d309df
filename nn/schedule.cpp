#include "nn/schedule.h"

#include <algorithm>
#include <cmath>

#include "tensor/error.h"

namespace bcl::nn {

LrSchedule::LrSchedule(const ScheduleOptions& options) : options_(options) {
  BCL_CHECK(options.base_lr >= 0 && options.epochs > 0 && options.iters_per_epoch > 0 &&
                options.warmup_epochs >= 0 && options.warmup_epochs < options.epochs,
            "LrSchedule: need base_lr >= 0, epochs > 0, iters_per_epoch > 0 and 0 <= "
            "warmup_epochs < epochs; got base_lr ",
            options.base_lr, ", epochs ", options.epochs, ", iters_per_epoch ",
            options.iters_per_epoch, ", warmup_epochs ", options.warmup_epochs);
  for (size_t i = 0; i < options.milestones.size(); ++i) {
    BCL_CHECK(
        options.milestones[i] > 0 && (i == 0 || options.milestones[i] > options.milestones[i - 1]),
        "LrSchedule: milestones must be positive and increasing");
  }
}

double LrSchedule::lr_at(int64_t it) const {
  BCL_CHECK(it >= 0, "LrSchedule: negative iteration ", it);
  const double base = options_.base_lr;
  const int64_t warmup = warmup_iters();
  if (it < warmup) return base * static_cast<double>(it + 1) / static_cast<double>(warmup);
  if (options_.kind == ScheduleOptions::Kind::Cosine) {
    const double t = static_cast<double>(std::min(it, total_iters()) - warmup);
    const double span = static_cast<double>(total_iters() - warmup);
    return base * 0.5 * (1.0 + std::cos(M_PI * t / span));
  }
  const int64_t epoch = it / options_.iters_per_epoch;
  const auto passed = std::count_if(options_.milestones.begin(), options_.milestones.end(),
                                    [epoch](int64_t m) { return m <= epoch; });
  return base * std::pow(options_.gamma, static_cast<double>(passed));
}

}  // namespace bcl::nn
