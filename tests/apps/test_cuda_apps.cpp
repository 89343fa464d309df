// --device cpu|cuda in bcl-train, bcl-eval, bcl-geometry and bcl-bench, run as child processes.
// Without a GPU (a CPU-only build, or CUDA=1 on a machine without one), --device cuda must stop
// each program at startup with a message naming the flag and the reason, before any file is read
// or written. With a GPU, a short bcl run trains on the GPU, resumes on the CPU from the GPU's
// checkpoint, and is evaluated on the GPU. The device is recorded in config.toml, metrics.json,
// bcl-eval's and bcl-geometry's JSON, and bcl-bench's JSON.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "data/image_io.h"
#include "tests/apps/app_runner.h"
#include "tests/data/data_test_util.h"
#include "tests/tensor/cuda_test_util.h"

using namespace bcl;
using bcl::test::contains;

namespace {

// A folder dataset of 8x8 PNGs: classes a and b, four training images and one test image each.
void write_tiny_folder(const test::TempDir& dir) {
  for (const char* cls : {"a", "b"}) {
    for (int i = 0; i < 4; ++i)
      data::write_png(test::pattern_image(8, 8, 10 * (cls[0] - 'a') + i),
                      dir.file(std::string("train/") + cls + "/" + std::to_string(i) + ".png"));
    data::write_png(test::pattern_image(8, 8, 50 + (cls[0] - 'a')),
                    dir.file(std::string("test/") + cls + "/0.png"));
  }
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// What the programs say when --device cuda cannot run here.
std::string expected_reason() {
#ifdef BCL_CUDA
  return "no CUDA GPU found";
#else
  return "this build has no CUDA support (rebuild with make CUDA=1)";
#endif
}

void check_device_refused(const test::AppRun& run) {
  INFO("output:\n", run.output);
  CHECK(run.term_signal == 0);
  CHECK(run.exit_code != 0);
  CHECK(contains(run.output, "--device cuda: " + expected_reason()));
}

std::vector<std::string> train_args(const test::TempDir& dir, const std::string& method,
                                    const std::string& device, const std::string& out) {
  return {"--data",       "folder:" + dir.path().string(),
          "--method",     method,
          "--epochs",     "1",
          "--batch-size", "4",
          "--lr",         "0.05",
          "--threads",    "1",
          "--workers",    "1",
          "--device",     device,
          "--out",        out};
}

}  // namespace

TEST_CASE("apps/--device cuda without a GPU fails at startup naming the flag") {
  if (cuda_available()) {
    test::skip(test::SkipReason::GpuPresent, "--device cuda is valid here");
    return;
  }
  test::TempDir dir("device_refused");
  write_tiny_folder(dir);
  const std::string data = "folder:" + dir.path().string();

  const std::string out = dir.file("run");
  check_device_refused(
      test::run_app("bcl-train", {"--data", data, "--device", "cuda", "--out", out}));
  CHECK(!std::filesystem::exists(out));  // nothing written: it stopped before the run began

  // A file that is no checkpoint: the device is refused before it is read.
  const std::string not_a_checkpoint = dir.file("not_a_checkpoint.safetensors");
  std::ofstream(not_a_checkpoint) << "not a checkpoint";
  for (const std::string program : {"bcl-eval", "bcl-geometry"}) {
    CAPTURE(program);
    const test::AppRun run = test::run_app(
        program, {"--checkpoint", not_a_checkpoint, "--data", data, "--device", "cuda"});
    check_device_refused(run);
    CHECK(!contains(run.output, "safetensors"));
  }
  check_device_refused(test::run_app(
      "bcl-bench", {"--device", "cuda", "--steps", "1", "--epochs", "1", "--warmup", "0"}));

  // A value that is no device at all is a plain flag error, on any machine.
  const test::AppRun bad = test::run_app("bcl-bench", {"--device", "gpu"});
  INFO("output:\n", bad.output);
  CHECK(bad.exit_code != 0);
  CHECK(contains(bad.output, "--device"));
}

TEST_CASE("apps/--device cpu is recorded in the run files and bcl-bench's JSON") {
  test::TempDir dir("device_cpu");
  write_tiny_folder(dir);
  const std::string out = dir.file("run");
  const test::AppRun run = test::run_app("bcl-train", train_args(dir, "ce", "cpu", out));
  INFO("output:\n", run.output);
  REQUIRE(run.exit_code == 0);
  CHECK(contains(read_file(out + "/config.toml"), "device=\"cpu\""));
  CHECK(contains(read_file(out + "/metrics.json"), "\"device\": \"cpu\""));

  const test::AppRun eval =
      test::run_app("bcl-eval", {"--checkpoint", out + "/last.safetensors", "--data",
                                 "folder:" + dir.path().string(), "--device", "cpu"});
  INFO("bcl-eval:\n", eval.output);
  REQUIRE(eval.exit_code == 0);
  CHECK(contains(read_file(out + "/eval_metrics.json"), "\"device\": \"cpu\""));

  const test::AppRun bench = test::run_app(
      "bcl-bench", {"--device", "cpu", "--batch-size", "2", "--image-size", "8", "--steps", "1",
                    "--epochs", "1", "--warmup", "0", "--threads", "1"});
  INFO("bcl-bench:\n", bench.output);
  REQUIRE(bench.exit_code == 0);
  CHECK(contains(bench.output, "\"device\":\"cpu\""));
  CHECK(contains(bench.output, "\"precision\":\"fp32\""));
}

TEST_CASE("apps/--precision bf16 trains and benchmarks (emulated on the CPU)") {
  test::TempDir dir("precision_bf16");
  write_tiny_folder(dir);
  const std::string out = dir.file("run");
  std::vector<std::string> args = train_args(dir, "bcl", "cpu", out);
  args.insert(args.end(), {"--precision", "bf16"});
  const test::AppRun run = test::run_app("bcl-train", args);
  INFO("output:\n", run.output);
  REQUIRE(run.exit_code == 0);
  CHECK(contains(read_file(out + "/config.toml"), "precision=\"bf16\""));

  const test::AppRun bench = test::run_app(
      "bcl-bench", {"--precision", "bf16", "--method", "bcl", "--batch-size", "2", "--image-size",
                    "8", "--steps", "1", "--epochs", "1", "--warmup", "0", "--threads", "1"});
  INFO("bcl-bench:\n", bench.output);
  REQUIRE(bench.exit_code == 0);
  CHECK(contains(bench.output, "\"precision\":\"bf16\""));

  const test::AppRun bad = test::run_app("bcl-bench", {"--precision", "fp16"});
  CHECK(bad.exit_code != 0);
  CHECK(contains(bad.output, "--precision"));
}

TEST_CASE("cuda/apps_train_on_gpu_resume_on_cpu_evaluate_on_gpu") {
  if (test::skip_without_gpu()) return;
  test::TempDir dir("device_cuda");
  write_tiny_folder(dir);
  const std::string data = "folder:" + dir.path().string();
  const std::string out = dir.file("run");

  // bcl exercises both losses, the prototypes and the end-of-run geometry on the GPU.
  const test::AppRun run = test::run_app("bcl-train", train_args(dir, "bcl", "cuda", out));
  INFO("bcl-train --device cuda:\n", run.output);
  REQUIRE(run.exit_code == 0);
  CHECK(contains(read_file(out + "/config.toml"), "device=\"cuda\""));
  CHECK(contains(read_file(out + "/metrics.json"), "\"device\": \"cuda\""));
  CHECK(contains(read_file(out + "/metrics.json"), "\"geometry\""));

  // The GPU's checkpoint resumes on the CPU for a second epoch.
  std::vector<std::string> resume = train_args(dir, "bcl", "cpu", out);
  resume[5] = "2";  // --epochs
  resume.push_back("--resume");
  const test::AppRun resumed = test::run_app("bcl-train", resume);
  INFO("bcl-train --resume --device cpu:\n", resumed.output);
  REQUIRE(resumed.exit_code == 0);
  CHECK(contains(resumed.output, "resuming"));
  CHECK(contains(read_file(out + "/metrics.json"), "\"device\": \"cpu\""));

  for (const std::string program : {"bcl-eval", "bcl-geometry"}) {
    CAPTURE(program);
    const test::AppRun r = test::run_app(
        program, {"--checkpoint", out + "/last.safetensors", "--data", data, "--device", "cuda"});
    INFO("output:\n", r.output);
    CHECK(r.exit_code == 0);
  }
  CHECK(contains(read_file(out + "/eval_metrics.json"), "\"device\": \"cuda\""));
  CHECK(contains(read_file(out + "/geometry.json"), "\"device\": \"cuda\""));

  const test::AppRun bench = test::run_app(
      "bcl-bench", {"--device", "cuda", "--method", "bcl", "--batch-size", "8", "--image-size",
                    "16", "--steps", "2", "--epochs", "2", "--warmup", "1"});
  INFO("bcl-bench --device cuda:\n", bench.output);
  REQUIRE(bench.exit_code == 0);
  CHECK(contains(bench.output, "\"device\":\"cuda\""));
  CHECK(contains(bench.output, "\"cuda_peak_mib\""));

  const test::AppRun bf16 = test::run_app(
      "bcl-bench", {"--device", "cuda", "--method", "bcl", "--precision", "bf16", "--batch-size",
                    "8", "--image-size", "16", "--steps", "2", "--epochs", "2", "--warmup", "1"});
  INFO("bcl-bench --device cuda --precision bf16:\n", bf16.output);
  REQUIRE(bf16.exit_code == 0);
  CHECK(contains(bf16.output, "\"precision\":\"bf16\""));
  CHECK(contains(bf16.output, "\"conv_direct_calls\""));
}
