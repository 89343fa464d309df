#include <filesystem>
#include <fstream>

#include "tests/test_util.h"
#include "train/metrics.h"
#include "train/report.h"
#include "train/run_files.h"

using namespace bcl;

TEST_CASE("metrics/groups_and_per_class") {
  // Classes 0 (many: 500 images), 1 (medium: 50), 2 (few: 5); 4 test images each.
  const std::vector<int64_t> counts = {500, 50, 5};
  const std::vector<int64_t> labels = {0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2};
  const std::vector<int64_t> preds = {0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 2};
  const train::EvalResult r = train::summarize(preds, labels, counts);
  CHECK(r.overall == doctest::Approx(100.0 * 6 / 12));
  CHECK(r.per_class == std::vector<double>{75, 50, 25});
  CHECK(*r.many == 75);
  CHECK(*r.medium == 50);
  CHECK(*r.few == 25);
  CHECK(r.confusion[2][0] == 3);
  CHECK(r.confusion[0][1] == 1);
  CHECK(train::one_line(r) == "overall 50.0  many 75.0  medium 50.0  few 25.0");
}

TEST_CASE("metrics/empty_group_is_null") {
  // 100 images is medium (the boundary: many means more than 100), 101 is many: no few class.
  const train::EvalResult r = train::summarize({0, 1}, {0, 1}, {101, 100});
  CHECK(r.many.has_value());
  CHECK(r.medium.has_value());
  CHECK_FALSE(r.few.has_value());
  CHECK(train::to_json(r)["few"].is_null());
  CHECK_THROWS_WITH_AS(train::summarize({0, 3}, {0, 1}, {101, 100}),
                       doctest::Contains("out of range"), Error);
}

TEST_CASE("report/self_contained_html_with_svg") {
  train::ReportInput in;
  in.title = "a <test>";
  in.class_names = {"cat", "dog"};
  in.train_counts = {100, 10};
  in.final_result = train::summarize({0, 1, 1}, {0, 1, 0}, in.train_counts);
  for (int e = 1; e <= 3; ++e) {
    train::EpochRecord rec;
    rec.epoch = e;
    rec.train_loss = 1.0 / e;
    rec.test = in.final_result;
    in.epochs.push_back(rec);
  }
  const std::string html = train::render_report(in);
  CHECK(html.find("<svg") != std::string::npos);
  CHECK(html.find("a &lt;test&gt;") != std::string::npos);  // escaped
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("http") == html.find("http://www.w3.org/2000/svg"));  // no external resource
  CHECK(html.find("cat: 50.0% (100 train images)") != std::string::npos);
  CHECK(html.find("dog: 100.0% (10 train images)") != std::string::npos);
}

TEST_CASE("run_files/atomic_text_and_jsonl") {
  const std::string dir = (std::filesystem::temp_directory_path() / "bcl_run_files_test").string();
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/log.jsonl";
  train::write_text_atomically(path, "{\"a\": 1}\n");
  train::append_line(path, "{\"a\": 2}");
  const auto lines = train::read_jsonl(path);
  REQUIRE(lines.size() == 2);
  CHECK(lines[1]["a"] == 2);
  CHECK_FALSE(std::filesystem::exists(path + ".tmp"));
  train::append_line(path, "{broken");
  CHECK_THROWS_WITH_AS(train::read_jsonl(path), doctest::Contains("log.jsonl:3"), Error);
  CHECK(train::read_jsonl(dir + "/missing.jsonl").empty());
  std::filesystem::remove_all(dir);
}

TEST_CASE("run_files/metadata_round_trip") {
  train::TrainConfig cfg;
  cfg.method = "bs";
  cfg.seed = 7;
  train::ModelFacts facts = train::model_facts(cfg, 3);
  data::Normalization norm;
  norm.mean = {0.5f, 0.25f, 0.125f};
  const auto meta = train::run_metadata(cfg, facts, {5, 3, 1}, {"a", "b", "c"}, norm);
  const train::RunInfo info = train::run_info_from(meta, "x.safetensors");
  CHECK(info.facts.num_classes == 3);
  CHECK(info.facts.model == "resnet32");
  CHECK(info.class_counts == std::vector<int64_t>{5, 3, 1});
  CHECK(info.class_names == std::vector<std::string>{"a", "b", "c"});
  CHECK(info.normalization.mean[2] == 0.125f);
  auto broken = meta;
  broken.erase("class_counts");
  CHECK_THROWS_WITH_AS(
      train::run_info_from(broken, "x.safetensors"),
      doctest::Contains("x.safetensors: the checkpoint's metadata has no 'class_counts'"), Error);
}
