// report.html: a self-contained page (inline SVG, no scripts, no external files) that shows a
// training run: loss and accuracy per epoch, per-class accuracy ordered by training count beside
// the count profile, and the many/medium/few summary.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "losses/geometry.h"
#include "train/metrics.h"

namespace bcl::train {

struct EpochRecord {
  int64_t epoch = 0;
  double lr = 0, train_loss = 0;
  // The loss's terms (scl, bcl: train_loss = alpha * train_ce + beta * train_contrastive).
  double train_ce = 0;
  std::optional<double> train_contrastive;
  EvalResult test;
  bool evaluated = false;  // whether `test` was measured after this epoch (--eval-every)
  double img_per_s = 0, seconds = 0;
};

struct ReportInput {
  std::string title;
  std::vector<std::pair<std::string, std::string>> facts;  // shown as a table (method, data, ...)
  std::vector<EpochRecord> epochs;
  EvalResult final_result;
  std::vector<std::string> class_names;
  std::vector<int64_t> train_counts;
  // The contrastive branch's geometry (scl, bcl): a summary line and the cosine heatmap (SVG).
  std::string geometry_line, geometry_svg;
};

std::string render_report(const ReportInput& in);

// Several runs side by side (make demo): one summary row per run, each run's curves overlaid.
struct NamedRun {
  std::string name;
  ReportInput run;
};
std::string render_comparison(const std::string& title, const std::vector<NamedRun>& runs);

// The cosine matrix as an inline SVG heatmap (blue -1, white 0, red +1), classes labelled.
std::string cosine_heatmap_svg(const losses::Geometry& g,
                               const std::vector<std::string>& class_names);

}  // namespace bcl::train
