// Checkpoints and --resume, tested the way they are used: bcl-train is killed with SIGKILL in the
// middle of epoch 2, restarted with the same command plus --resume, and must end with a checkpoint
// bitwise identical (weights, buffers, optimiser momentum) to that of a run never interrupted.
#include <signal.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "data/image_io.h"
#include "tensor/safetensors.h"
#include "tests/apps/app_runner.h"
#include "tests/data/data_test_util.h"
#include "tests/test_util.h"
#include "train/run_files.h"

using namespace bcl;
using bcl::test::contains;

namespace {

// 3 classes of 64 PNGs of 16x16 (ResNet-32 takes any size divisible by 4): with batch 8, an
// epoch is 24 steps, and bcl-train prints a progress line every 4 steps when not on a terminal.
void write_dataset(const test::TempDir& dir) {
  for (int c = 0; c < 3; ++c) {
    for (int i = 0; i < 64; ++i)
      data::write_png(
          test::pattern_image(16, 16, 100 * c + i),
          dir.file("train/class" + std::to_string(c) + "/" + std::to_string(i) + ".png"));
    data::write_png(test::pattern_image(16, 16, 1000 + c),
                    dir.file("test/class" + std::to_string(c) + "/0.png"));
  }
}

std::vector<std::string> train_args(const test::TempDir& dir, const std::string& out) {
  return {"--data",
          "folder:" + dir.path().string(),
          "--epochs",
          "2",
          "--batch-size",
          "8",
          "--lr",
          "0.05",
          "--warmup-epochs",
          "1",
          "--seed",
          "3",
          "--threads",
          "1",
          "--workers",
          "2",
          "--eval-every",
          "2",
          "--out",
          out};
}

int64_t lines_in(const std::string& path) {
  std::ifstream in(path);
  int64_t n = 0;
  for (std::string line; std::getline(in, line);) n += !line.empty();
  return n;
}

}  // namespace

TEST_CASE("apps/bcl-train killed in epoch 2 and resumed ends bitwise equal to an unbroken run") {
  test::TempDir dir("resume");
  write_dataset(dir);
  const std::string whole = dir.file("whole"), broken = dir.file("broken");

  const test::AppRun unbroken = test::run_app("bcl-train", train_args(dir, whole));
  INFO("unbroken run:\n", unbroken.output);
  REQUIRE(unbroken.exit_code == 0);
  CHECK(lines_in(whole + "/log.jsonl") == 2);

  // SIGKILL at the first progress line of epoch 2, 4 steps in, 20 steps before its checkpoint.
  const test::AppRun killed =
      test::run_app("bcl-train", train_args(dir, broken),
                    [](const std::string& line) { return contains(line, "epoch 2/2  step "); });
  INFO("killed run:\n", killed.output);
  REQUIRE(killed.term_signal == SIGKILL);
  const SafetensorsFile after_kill = load_safetensors(broken + "/last.safetensors");
  REQUIRE_MESSAGE(after_kill.metadata.at("epoch") == "1",
                  "the kill came after epoch 2's checkpoint; the test needs it during epoch 2");
  CHECK(lines_in(broken + "/log.jsonl") == 1);
  for (const auto& entry : std::filesystem::directory_iterator(broken))
    CHECK_MESSAGE(!contains(entry.path().filename().string(), ".tmp"), entry.path());

  std::vector<std::string> args = train_args(dir, broken);
  args.push_back("--resume");
  const test::AppRun resumed = test::run_app("bcl-train", args);
  INFO("resumed run:\n", resumed.output);
  REQUIRE(resumed.exit_code == 0);
  CHECK(contains(resumed.output, "resuming"));
  CHECK(lines_in(broken + "/log.jsonl") == 2);
  // Epoch 1 was not evaluated (--eval-every 2), and the resumed run's rewrite of the log keeps it
  // so rather than logging an accuracy of 0.
  const std::vector<nlohmann::json> log = train::read_jsonl(broken + "/log.jsonl");
  REQUIRE(log.size() == 2);
  CHECK(log[0]["test_overall"].is_null());
  CHECK(log[0]["test_many"].is_null());
  CHECK(log[1]["test_overall"].is_number());

  const SafetensorsFile a = load_safetensors(whole + "/last.safetensors");
  const SafetensorsFile b = load_safetensors(broken + "/last.safetensors");
  CHECK(b.metadata.at("epoch") == "2");
  CHECK(a.metadata.at("step") == b.metadata.at("step"));
  REQUIRE(a.tensors.size() == b.tensors.size());
  int64_t compared = 0;
  for (const auto& [name, ta] : a.tensors) {
    INFO(name);
    REQUIRE(b.tensors.count(name) == 1);
    const Tensor& tb = b.tensors.at(name);
    REQUIRE(ta.shape() == tb.shape());
    REQUIRE(ta.dtype() == tb.dtype());
    CHECK(std::memcmp(ta.raw_data(), tb.raw_data(),
                      static_cast<size_t>(ta.numel()) * dtype_size(ta.dtype())) == 0);
    ++compared;
  }
  // Model weights, BN buffers and the optimiser's momentum buffers are all in the file.
  CHECK(a.tensors.count("fc.weight") == 1);
  CHECK(a.tensors.count("encoder.bn1.running_var") == 1);
  CHECK(a.tensors.count("optimizer/momentum.fc.weight") == 1);
  CHECK(compared > 100);
}
