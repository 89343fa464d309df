#include "losses/geometry.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "tensor/ops.h"

namespace bcl::losses {

Geometry geometry_from_projections(const Tensor& projections, const std::vector<int64_t>& labels,
                                   int64_t num_classes) {
  BCL_CHECK(projections.dim() == 2, "geometry: projections must be [N, D], got ",
            shape_str(projections.shape()));
  const int64_t n = projections.size(0), d = projections.size(1);
  BCL_CHECK(static_cast<int64_t>(labels.size()) == n, "geometry: ", labels.size(), " labels for ",
            n, " projections");
  const std::vector<double> z = raw::contiguous(projections).to_vector();
  Geometry g;
  g.num_classes = num_classes;
  g.samples.assign(num_classes, 0);
  std::vector<std::vector<double>> mean(num_classes, std::vector<double>(d, 0.0));
  for (int64_t i = 0; i < n; ++i) {
    const int64_t c = labels[i];
    BCL_CHECK(c >= 0 && c < num_classes, "geometry: label ", c, " outside [0, ", num_classes, ")");
    ++g.samples[c];
    for (int64_t k = 0; k < d; ++k) mean[c][k] += z[i * d + k];
  }
  std::vector<int64_t> present;
  for (int64_t c = 0; c < num_classes; ++c) {
    if (g.samples[c] == 0) continue;
    present.push_back(c);
    for (double& v : mean[c]) v /= static_cast<double>(g.samples[c]);
  }
  BCL_CHECK(present.size() >= 2, "geometry: needs samples of at least 2 classes, got ",
            present.size());

  g.mean_norms.assign(num_classes, 0.0);
  for (int64_t c : present) {
    double s = 0;
    for (double v : mean[c]) s += v * v;
    g.mean_norms[c] = std::sqrt(s);
  }
  g.cosine.assign(num_classes, std::vector<double>(num_classes, 0.0));
  for (int64_t a : present)
    for (int64_t b : present) {
      double dot = 0;
      for (int64_t k = 0; k < d; ++k) dot += mean[a][k] * mean[b][k];
      const double denom = g.mean_norms[a] * g.mean_norms[b];
      g.cosine[a][b] = denom > 0 ? dot / denom : 0.0;
    }

  const double classes = static_cast<double>(present.size());
  g.simplex_cosine = -1.0 / (classes - 1.0);
  double dev_sum = 0;
  int64_t pairs = 0;
  for (size_t i = 0; i < present.size(); ++i)
    for (size_t j = i + 1; j < present.size(); ++j) {
      const double dev = std::fabs(g.cosine[present[i]][present[j]] - g.simplex_cosine);
      dev_sum += dev;
      g.max_deviation = std::max(g.max_deviation, dev);
      ++pairs;
    }
  g.mean_deviation = dev_sum / static_cast<double>(pairs);

  double lo = 1e300, hi = -1e300, sum = 0, sq = 0;
  for (int64_t c : present) {
    const double v = g.mean_norms[c];
    lo = std::min(lo, v), hi = std::max(hi, v), sum += v, sq += v * v;
  }
  const double mu = sum / classes;
  g.norm_range = hi - lo;
  g.norm_cv = mu > 0 ? std::sqrt(std::max(0.0, sq / classes - mu * mu)) / mu : 0.0;

  std::vector<double> spread(num_classes, 0.0);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t c = labels[i];
    double s = 0;
    for (int64_t k = 0; k < d; ++k) {
      const double e = z[i * d + k] - mean[c][k];
      s += e * e;
    }
    spread[c] += s / static_cast<double>(g.samples[c]);
  }
  for (int64_t c : present) g.within_class_spread += spread[c] / classes;
  return g;
}

nlohmann::json to_json(const Geometry& g) {
  return {{"simplex_cosine", g.simplex_cosine},
          {"mean_deviation", g.mean_deviation},
          {"max_deviation", g.max_deviation},
          {"mean_norms", g.mean_norms},
          {"norm_range", g.norm_range},
          {"norm_cv", g.norm_cv},
          {"within_class_spread", g.within_class_spread},
          {"samples", g.samples},
          {"cosine", g.cosine}};
}

std::string one_line(const Geometry& g) {
  double lo = 1e300, hi = -1e300;
  for (size_t c = 0; c < g.mean_norms.size(); ++c)
    if (g.samples[c] > 0) lo = std::min(lo, g.mean_norms[c]), hi = std::max(hi, g.mean_norms[c]);
  char buf[160];
  std::snprintf(buf, sizeof buf,
                "simplex deviation mean %.3f max %.3f, norms %.2f-%.2f (cv %.3f), within-class "
                "%.3f",
                g.mean_deviation, g.max_deviation, lo, hi, g.norm_cv, g.within_class_spread);
  return buf;
}

}  // namespace bcl::losses
