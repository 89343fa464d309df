// bcl-report: puts finished bcl-train runs side by side: a table of overall/many/medium/few on the
// terminal and one HTML page with every run's curves and per-class accuracy.
//
//   build/bcl-report --run ce=runs/demo/ce --run bs=runs/demo/bs --out runs/demo/report.html
#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tensor/error.h"
#include "train/report.h"
#include "train/run_files.h"

using namespace bcl;
using json = nlohmann::json;

namespace {

std::optional<double> opt(const json& j, const char* key) {
  return j.contains(key) && !j[key].is_null() ? std::optional<double>(j[key].get<double>())
                                              : std::nullopt;
}

train::NamedRun read_run(const std::string& name, const std::string& dir) {
  train::NamedRun r;
  r.name = name;
  const std::string metrics_path = dir + "/metrics.json";
  std::ifstream f(metrics_path);
  BCL_CHECK(f.good(), "bcl-report: cannot read ", metrics_path, " (has the run finished?)");
  json m;
  try {
    f >> m;
    r.run.final_result.overall = m.at("overall").get<double>();
    r.run.final_result.many = opt(m, "many");
    r.run.final_result.medium = opt(m, "medium");
    r.run.final_result.few = opt(m, "few");
    r.run.final_result.per_class = m.at("per_class").get<std::vector<double>>();
    r.run.class_names = m.at("class_names").get<std::vector<std::string>>();
    r.run.train_counts = m.at("class_counts").get<std::vector<int64_t>>();
  } catch (const json::exception& e) {
    BCL_CHECK(false, "bcl-report: ", metrics_path, " is malformed (", e.what(), ")");
  }
  for (const json& j : train::read_jsonl(dir + "/log.jsonl")) {
    train::EpochRecord e;
    e.epoch = j.at("epoch").get<int64_t>();
    e.train_loss = j.at("train_loss").get<double>();
    e.evaluated = opt(j, "test_overall").has_value();
    e.test.overall = opt(j, "test_overall").value_or(0);
    r.run.epochs.push_back(e);
  }
  r.run.title = name;
  return r;
}

std::string cell(const std::optional<double>& v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%7.1f", v.value_or(0));
  return v ? buf : "      -";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"bcl-report: compare finished bcl-train runs"};
  std::vector<std::string> runs;
  std::string out, title = "bcl runs";
  app.add_option("--run", runs, "NAME=DIR of a finished run (repeat)")->required();
  app.add_option("--out", out, "HTML file to write");
  app.add_option("--title", title);
  CLI11_PARSE(app, argc, argv);
  try {
    std::vector<train::NamedRun> named;
    for (const std::string& r : runs) {
      const size_t eq = r.find('=');
      BCL_CHECK(eq != std::string::npos && eq > 0, "bcl-report: --run '", r, "' is not NAME=DIR");
      named.push_back(read_run(r.substr(0, eq), r.substr(eq + 1)));
    }
    std::printf("%-10s %7s %7s %7s %7s\n", "run", "overall", "many", "medium", "few");
    for (const train::NamedRun& r : named)
      std::printf("%-10s %s %s %s %s\n", r.name.c_str(), cell(r.run.final_result.overall).c_str(),
                  cell(r.run.final_result.many).c_str(), cell(r.run.final_result.medium).c_str(),
                  cell(r.run.final_result.few).c_str());
    if (!out.empty()) {
      train::write_text_atomically(out, train::render_comparison(title, named));
      std::printf("report: %s\n", out.c_str());
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
