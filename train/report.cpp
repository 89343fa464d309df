#include "train/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <sstream>

namespace bcl::train {
namespace {

const char* kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"};

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string num(double v, int digits = 1) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string opt(const std::optional<double>& v) {
  return v ? num(*v) : "&ndash;";
}

struct Series {
  std::string name, color;
  std::vector<std::pair<double, double>> points;
};

// A line chart with axes, 5 ticks per axis and a legend.
std::string line_chart(const std::string& title, const std::string& y_label,
                       const std::vector<Series>& series) {
  const double w = 460, h = 260, left = 55, right = 15, top = 30, bottom = 40;
  double x0 = 1e300, x1 = -1e300, y0 = 1e300, y1 = -1e300;
  for (const Series& s : series)
    for (auto [x, y] : s.points) {
      x0 = std::min(x0, x), x1 = std::max(x1, x), y0 = std::min(y0, y), y1 = std::max(y1, y);
    }
  if (x0 > x1) x0 = 0, x1 = 1, y0 = 0, y1 = 1;
  if (x1 == x0) x1 = x0 + 1;
  if (y1 == y0) y1 = y0 + 1;
  y0 = std::min(y0, 0.0);
  auto px = [&](double x) { return left + (x - x0) / (x1 - x0) * (w - left - right); };
  auto py = [&](double y) { return h - bottom - (y - y0) / (y1 - y0) * (h - top - bottom); };
  std::ostringstream os;
  os << "<svg width='" << w << "' height='" << h << "' xmlns='http://www.w3.org/2000/svg'>"
     << "<text x='" << w / 2 << "' y='18' text-anchor='middle' font-weight='bold'>" << escape(title)
     << "</text>";
  for (int i = 0; i <= 4; ++i) {
    const double yv = y0 + (y1 - y0) * i / 4, xv = x0 + (x1 - x0) * i / 4;
    os << "<line x1='" << left << "' x2='" << w - right << "' y1='" << py(yv) << "' y2='" << py(yv)
       << "' stroke='#ddd'/><text x='" << left - 5 << "' y='" << py(yv) + 4
       << "' text-anchor='end' font-size='11'>" << num(yv, y1 - y0 < 5 ? 2 : 0) << "</text>"
       << "<text x='" << px(xv) << "' y='" << h - bottom + 15
       << "' text-anchor='middle' font-size='11'>" << num(xv, 0) << "</text>";
  }
  os << "<text x='" << (left + w - right) / 2 << "' y='" << h - 5
     << "' text-anchor='middle' font-size='12'>epoch</text><text x='12' y='" << h / 2
     << "' transform='rotate(-90 12 " << h / 2 << ")' text-anchor='middle' font-size='12'>"
     << escape(y_label) << "</text>";
  for (size_t k = 0; k < series.size(); ++k) {
    const Series& s = series[k];
    os << "<polyline fill='none' stroke-width='2' stroke='" << s.color << "' points='";
    for (auto [x, y] : s.points) os << px(x) << ',' << py(y) << ' ';
    os << "'/>";
    for (auto [x, y] : s.points)
      os << "<circle r='2.5' fill='" << s.color << "' cx='" << px(x) << "' cy='" << py(y) << "'/>";
    os << "<text x='" << left + 10 << "' y='" << top + 14 * (k + 1) << "' font-size='12' fill='"
       << s.color << "'>" << escape(s.name) << "</text>";
  }
  os << "</svg>";
  return os.str();
}

// Per-class accuracy bars, classes ordered by training count (largest first), with the count
// profile drawn over them on its own (right-hand) axis.
std::string class_chart(const ReportInput& in) {
  const size_t c = in.train_counts.size();
  std::vector<size_t> order(c);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return in.train_counts[a] > in.train_counts[b]; });
  const double w = 940, h = 300, left = 50, right = 60, top = 30, bottom = 70;
  const double slot = (w - left - right) / std::max<size_t>(c, 1);
  const double max_count =
      c ? static_cast<double>(*std::max_element(in.train_counts.begin(), in.train_counts.end()))
        : 1.0;
  auto py = [&](double frac) { return h - bottom - frac * (h - top - bottom); };
  std::ostringstream os;
  os << "<svg width='" << w << "' height='" << h << "' xmlns='http://www.w3.org/2000/svg'>"
     << "<text x='" << w / 2 << "' y='18' text-anchor='middle' font-weight='bold'>Per-class test "
     << "accuracy (bars, left axis) and training images per class (line, right axis)</text>";
  for (int i = 0; i <= 4; ++i) {
    os << "<line x1='" << left << "' x2='" << w - right << "' y1='" << py(i / 4.0) << "' y2='"
       << py(i / 4.0) << "' stroke='#eee'/><text x='" << left - 5 << "' y='" << py(i / 4.0) + 4
       << "' text-anchor='end' font-size='11'>" << 25 * i << "%</text><text x='" << w - right + 5
       << "' y='" << py(i / 4.0) + 4 << "' font-size='11'>" << num(max_count * i / 4, 0)
       << "</text>";
  }
  std::ostringstream line;
  for (size_t j = 0; j < c; ++j) {
    const size_t k = order[j];
    const double acc = k < in.final_result.per_class.size() ? in.final_result.per_class[k] : 0;
    const double x = left + j * slot;
    os << "<rect x='" << x + slot * 0.15 << "' y='" << py(acc / 100) << "' width='" << slot * 0.7
       << "' height='" << py(0) - py(acc / 100) << "' fill='#1f77b4'><title>"
       << escape(k < in.class_names.size() ? in.class_names[k] : std::to_string(k)) << ": "
       << num(acc) << "% (" << in.train_counts[k] << " train images)</title></rect>";
    line << x + slot / 2 << ',' << py(in.train_counts[k] / max_count) << ' ';
    if (c <= 40) {
      const std::string name = k < in.class_names.size() ? in.class_names[k] : std::to_string(k);
      os << "<text font-size='10' text-anchor='end' transform='translate(" << x + slot / 2 + 3
         << ',' << h - bottom + 8 << ") rotate(-45)'>" << escape(name) << "</text>";
    }
  }
  os << "<polyline fill='none' stroke='#d62728' stroke-width='2' points='" << line.str()
     << "'/></svg>";
  return os.str();
}

std::string summary_table(const std::vector<NamedRun>& runs) {
  std::ostringstream os;
  os << "<table><tr><th>run</th><th>overall</th><th>many</th><th>medium</th><th>few</th></tr>";
  for (const NamedRun& r : runs) {
    const EvalResult& e = r.run.final_result;
    os << "<tr><td>" << escape(r.name) << "</td><td>" << num(e.overall) << "</td><td>"
       << opt(e.many) << "</td><td>" << opt(e.medium) << "</td><td>" << opt(e.few) << "</td></tr>";
  }
  os << "</table>";
  return os.str();
}

const char* kStyle =
    "<style>body{font-family:sans-serif;margin:24px;max-width:980px}"
    "table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 10px;"
    "text-align:right}td:first-child,th:first-child{text-align:left}svg{margin:6px}</style>";

std::string curves(const std::vector<NamedRun>& runs) {
  std::vector<Series> loss, acc;
  for (size_t i = 0; i < runs.size(); ++i) {
    const std::string color = kColors[i % 6];
    Series l{runs[i].name, color, {}}, a{runs[i].name, color, {}};
    for (const EpochRecord& e : runs[i].run.epochs) {
      l.points.push_back({static_cast<double>(e.epoch), e.train_loss});
      if (e.evaluated) a.points.push_back({static_cast<double>(e.epoch), e.test.overall});
    }
    loss.push_back(l);
    acc.push_back(a);
  }
  return line_chart("Training loss", "loss", loss) +
         line_chart("Test accuracy (overall)", "accuracy %", acc);
}

}  // namespace

std::string render_report(const ReportInput& in) {
  std::ostringstream os;
  os << "<!DOCTYPE html><html><head><meta charset='utf-8'><title>" << escape(in.title) << "</title>"
     << kStyle << "</head><body><h1>" << escape(in.title) << "</h1><table>";
  for (const auto& [k, v] : in.facts)
    os << "<tr><th>" << escape(k) << "</th><td>" << escape(v) << "</td></tr>";
  os << "</table><h2>Summary</h2>" << summary_table({{"final", in}});
  os << "<h2>Curves</h2>" << curves({{in.title, in}});
  std::vector<Series> groups(3);
  const char* names[] = {"many", "medium", "few"};
  for (int g = 0; g < 3; ++g) groups[g] = {names[g], kColors[g + 1], {}};
  for (const EpochRecord& e : in.epochs) {
    const std::optional<double> v[] = {e.test.many, e.test.medium, e.test.few};
    for (int g = 0; g < 3; ++g)
      if (v[g]) groups[g].points.push_back({static_cast<double>(e.epoch), *v[g]});
  }
  groups.erase(std::remove_if(groups.begin(), groups.end(),
                              [](const Series& s) { return s.points.empty(); }),
               groups.end());
  os << line_chart("Test accuracy by class group", "accuracy %", groups);
  os << "<h2>Per class</h2>" << class_chart(in);
  if (!in.geometry_svg.empty()) {
    os << "<h2>Geometry of the class means</h2><p>Cosines between the class means of the "
          "normalised projections on the test set. A regular simplex has "
          "every off-diagonal cosine at -1/(C-1). "
       << escape(in.geometry_line) << "</p>" << in.geometry_svg;
  }
  os << "</body></html>\n";
  return os.str();
}

std::string render_comparison(const std::string& title, const std::vector<NamedRun>& runs) {
  std::ostringstream os;
  os << "<!DOCTYPE html><html><head><meta charset='utf-8'><title>" << escape(title) << "</title>"
     << kStyle << "</head><body><h1>" << escape(title) << "</h1><h2>Summary</h2>"
     << summary_table(runs) << "<h2>Curves</h2>" << curves(runs);
  for (const NamedRun& r : runs) os << "<h2>" << escape(r.name) << "</h2>" << class_chart(r.run);
  os << "</body></html>\n";
  return os.str();
}

namespace {

std::string xml_escape(const std::string& s) {
  std::string out;
  for (char ch : s) {
    if (ch == '<')
      out += "&lt;";
    else if (ch == '>')
      out += "&gt;";
    else if (ch == '&')
      out += "&amp;";
    else if (ch == '\'')
      out += "&apos;";
    else
      out += ch;
  }
  return out;
}

}  // namespace

std::string cosine_heatmap_svg(const losses::Geometry& g,
                               const std::vector<std::string>& class_names) {
  const int64_t c = g.num_classes;
  const double cell = std::max(6.0, std::min(28.0, 420.0 / static_cast<double>(c)));
  const double label = c <= 20 ? 80 : 0, size = label + cell * static_cast<double>(c);
  // -1 -> blue (59, 76, 192), 0 -> white, +1 -> red (180, 4, 38): a diverging scale.
  const auto color = [](double v) {
    v = std::clamp(v, -1.0, 1.0);
    const double t = std::fabs(v);
    const int r = static_cast<int>(255 + t * ((v < 0 ? 59 : 180) - 255));
    const int gr = static_cast<int>(255 + t * ((v < 0 ? 76 : 4) - 255));
    const int b = static_cast<int>(255 + t * ((v < 0 ? 192 : 38) - 255));
    char buf[16];
    std::snprintf(buf, sizeof buf, "#%02x%02x%02x", r, gr, b);
    return std::string(buf);
  };
  std::ostringstream os;
  os << "<svg xmlns='http://www.w3.org/2000/svg' width='" << size + 10 << "' height='" << size + 10
     << "' font-size='10'>";
  for (int64_t a = 0; a < c; ++a) {
    if (label > 0 && a < static_cast<int64_t>(class_names.size()))
      os << "<text x='" << label - 4 << "' y='" << label + cell * (a + 0.65)
         << "' text-anchor='end'>" << xml_escape(class_names[a]) << "</text>";
    for (int64_t b = 0; b < c; ++b) {
      const bool known = g.samples[a] > 0 && g.samples[b] > 0;
      os << "<rect x='" << label + cell * b << "' y='" << label + cell * a << "' width='" << cell
         << "' height='" << cell << "' fill='" << (known ? color(g.cosine[a][b]) : "#999999")
         << "'><title>" << a << "," << b << ": " << g.cosine[a][b] << "</title></rect>";
    }
  }
  os << "</svg>";
  return os.str();
}

}  // namespace bcl::train
