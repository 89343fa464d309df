#include <cmath>

#include "losses/geometry.h"
#include "tests/test_util.h"
#include "train/report.h"

using namespace bcl;

TEST_CASE("geometry/regular_simplex_has_no_deviation") {
  // 3 classes at 120 degrees on a circle in 3-D (a regular simplex: cosines -1/2), 2 samples each
  // exactly on their vertex: no deviation, unit norms, no within-class spread.
  std::vector<double> z;
  std::vector<int64_t> labels;
  for (int c = 0; c < 3; ++c)
    for (int s = 0; s < 2; ++s) {
      const double a = 2.0 * M_PI * c / 3.0;
      z.insert(z.end(), {std::cos(a), std::sin(a), 0.0});
      labels.push_back(c);
    }
  const losses::Geometry g =
      losses::geometry_from_projections(from_vector(z, {6, 3}, DType::Float64), labels, 3);
  CHECK(g.simplex_cosine == doctest::Approx(-0.5));
  CHECK(g.cosine[0][1] == doctest::Approx(-0.5));
  CHECK(g.cosine[1][1] == doctest::Approx(1.0));
  CHECK(g.mean_deviation == doctest::Approx(0.0).epsilon(1e-12));
  CHECK(g.max_deviation == doctest::Approx(0.0).epsilon(1e-12));
  CHECK(g.mean_norms[2] == doctest::Approx(1.0));
  CHECK(g.norm_range == doctest::Approx(0.0).epsilon(1e-12));
  CHECK(g.within_class_spread == doctest::Approx(0.0).epsilon(1e-12));
}

TEST_CASE("geometry/collapsed_and_spread_classes") {
  // Class 0: (1, 0) twice; class 1: (0, 1) and (1, 0) -> mean (0.5, 0.5); class 2: (-1, 0).
  // cos(mu0, mu1) = 1/sqrt(2), cos(mu0, mu2) = -1, cos(mu1, mu2) = -1/sqrt(2); target -1/2.
  const std::vector<double> z = {1, 0, 1, 0, 0, 1, 1, 0, -1, 0};
  const losses::Geometry g = losses::geometry_from_projections(
      from_vector(z, {5, 2}, DType::Float64), {0, 0, 1, 1, 2}, 4);  // class 3: none
  const double r = 1.0 / std::sqrt(2.0);
  CHECK(g.samples == std::vector<int64_t>{2, 2, 1, 0});
  CHECK(g.cosine[0][1] == doctest::Approx(r));
  CHECK(g.cosine[0][2] == doctest::Approx(-1.0));
  CHECK(g.cosine[1][2] == doctest::Approx(-r));
  const double d01 = r + 0.5, d02 = 0.5, d12 = r - 0.5;
  CHECK(g.mean_deviation == doctest::Approx((d01 + d02 + d12) / 3));
  CHECK(g.max_deviation == doctest::Approx(d01));
  CHECK(g.mean_norms[1] == doctest::Approx(r));
  CHECK(g.norm_range == doctest::Approx(1.0 - r));
  // Class 1's samples lie 0.5 from their mean in squared distance (1 - |mu|^2 = 1/2); others 0.
  CHECK(g.within_class_spread == doctest::Approx(0.5 / 3));
  const std::string svg = train::cosine_heatmap_svg(g, {"a", "b<", "c", "d"});
  CHECK(svg.find("<svg") == 0);
  CHECK(svg.find("b&lt;") != std::string::npos);
  CHECK_THROWS_AS(
      losses::geometry_from_projections(from_vector({1, 0}, {1, 2}, DType::Float64), {0}, 2),
      Error);
}
