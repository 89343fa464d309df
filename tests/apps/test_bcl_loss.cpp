// bcl-loss, run as a child process: its loss and gradients equal the library's, and bad input
// gives a non-zero exit and a message naming the tensor, the flag or the file.
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "autograd/ops.h"
#include "losses/bcl.h"
#include "losses/logit_adjusted_ce.h"
#include "losses/supcon.h"
#include "tensor/safetensors.h"
#include "tests/apps/app_runner.h"
#include "tests/data/data_test_util.h"
#include "tests/test_util.h"

using namespace bcl;
using bcl::test::contains;

namespace {

Tensor unit(const Tensor& x) {
  return raw::div(x, raw::sqrt(raw::sum(raw::mul(x, x), {x.dim() - 1}, true)));
}

Tensor labels_of(const std::vector<double>& y) {
  return from_vector(y, {static_cast<int64_t>(y.size())}, DType::Int64);
}

// Runs bcl-loss on `inputs` and returns what it wrote; fails the test if it did not exit 0.
std::map<std::string, Tensor> run_loss(const test::TempDir& dir, const std::string& loss,
                                       const std::map<std::string, Tensor>& inputs,
                                       const std::vector<std::string>& extra = {}) {
  save_safetensors(dir.file(loss + "_in.safetensors"), inputs);
  std::vector<std::string> args = {"--method", loss,
                                   "--in",     dir.file(loss + "_in.safetensors"),
                                   "--out",    dir.file(loss + "_out.safetensors")};
  args.insert(args.end(), extra.begin(), extra.end());
  const test::AppRun run = test::run_app("bcl-loss", args);
  INFO("output:\n", run.output);
  REQUIRE(run.exit_code == 0);
  return load_safetensors(dir.file(loss + "_out.safetensors")).tensors;
}

// Same code on the same inputs, and safetensors I/O is exact: only a different reduction order
// (another thread count in the child) could move the last bits.
void check_same(const Tensor& got, const Tensor& expected) {
  REQUIRE(got.defined());
  CHECK(got.dtype() == expected.dtype());
  const double tol = expected.dtype() == DType::Float64 ? 1e-12 : 1e-6;
  CHECK_ALLCLOSE(got, expected, tol, tol);
}

}  // namespace

TEST_CASE("apps/bcl-loss matches the library for bcl, supcon, ce and bs") {
  test::TempDir dir("bcl_loss_app");
  const Tensor features = unit(test::randn({5, 2, 4}, 1));
  const Tensor prototypes = unit(test::randn({4, 4}, 2));
  const Tensor labels = labels_of({0, 2, 2, 0, 2});

  SUBCASE("bcl, float64, temperature 0.2") {
    const auto out = run_loss(
        dir, "bcl", {{"features", features}, {"labels", labels}, {"prototypes", prototypes}},
        {"--temperature", "0.2"});
    const Tensor f = test::param(raw::clone(features)), p = test::param(raw::clone(prototypes));
    const Tensor loss = losses::bcl_loss(f, labels, p, 0.2);
    backward(loss);
    check_same(out.at("loss"), loss);
    CHECK(out.at("loss").shape() == Shape{});
    check_same(out.at("grad.features"), f.grad());
    check_same(out.at("grad.prototypes"), p.grad());
  }
  SUBCASE("supcon, three views, default temperature 0.1") {
    const Tensor f3 = unit(test::randn({4, 3, 5}, 3));
    const auto out = run_loss(dir, "scl", {{"features", f3}, {"labels", labels_of({1, 0, 1, 1})}});
    const Tensor f = test::param(raw::clone(f3));
    const Tensor loss = losses::supcon_loss(f, labels_of({1, 0, 1, 1}), 0.1);
    backward(loss);
    check_same(out.at("loss"), loss);
    check_same(out.at("grad.features"), f.grad());
    CHECK(out.count("grad.prototypes") == 0);
  }
  SUBCASE("ce and bs (float32 logits, float class counts)") {
    const Tensor logits = test::randn({6, 3}, 4, DType::Float32);
    const Tensor y = labels_of({0, 1, 2, 0, 0, 1});
    const Tensor counts = from_vector({60, 6, 2}, {3}, DType::Float32);
    const auto ce = run_loss(dir, "ce", {{"logits", logits}, {"labels", y}});
    const auto bs =
        run_loss(dir, "bs", {{"logits", logits}, {"labels", y}, {"class_counts", counts}});
    const Tensor l1 = test::param(raw::clone(logits)), l2 = test::param(raw::clone(logits));
    const Tensor ce_loss = cross_entropy(l1, y);
    const Tensor bs_loss = losses::logit_adjusted_cross_entropy(
        l2, y, losses::log_prior({60, 6, 2}, 1.0, DType::Float32));
    backward(ce_loss);
    backward(bs_loss);
    check_same(ce.at("loss"), ce_loss);
    check_same(ce.at("grad.logits"), l1.grad());
    check_same(bs.at("loss"), bs_loss);
    check_same(bs.at("grad.logits"), l2.grad());
  }
}

TEST_CASE("apps/bcl-loss names the missing tensor, the bad shape, the flag and the file") {
  test::TempDir dir("bcl_loss_app_bad");
  const std::string in = dir.file("in.safetensors");
  save_safetensors(
      in, {{"features", unit(test::randn({3, 3, 4}, 5))}, {"labels", labels_of({0, 1, 1})}});
  auto run = [&](const std::vector<std::string>& args) {
    test::AppRun r = test::run_app("bcl-loss", args);
    INFO("output:\n", r.output);
    CHECK(r.exit_code != 0);
    CHECK(r.term_signal == 0);
    return r.output;
  };
  const std::string out = dir.file("out.safetensors");
  std::string msg = run({"--method", "bcl", "--in", in, "--out", out});
  CHECK(contains(msg, "bcl-loss: error:"));
  CHECK(contains(msg, in));
  CHECK(contains(msg, "no tensor 'prototypes'"));

  save_safetensors(in, {{"features", unit(test::randn({3, 3, 4}, 5))},
                        {"labels", labels_of({0, 1, 1})},
                        {"prototypes", unit(test::randn({2, 4}, 7))}});
  msg = run({"--method", "bcl", "--in", in, "--out", out});
  CHECK(contains(msg, in));
  CHECK(contains(msg, "2 views"));

  msg = run({"--method", "simclr", "--in", in, "--out", out});
  CHECK(contains(msg, "--method"));
  CHECK(contains(msg, "simclr"));

  // The old spellings (--loss, supcon) still parse.
  msg = run({"--loss", "supcon", "--in", in, "--out", out, "--temperature", "0"});
  CHECK(contains(msg, "--temperature"));

  msg = run({"--method", "ce", "--in", dir.file("absent.safetensors"), "--out", out});
  CHECK(contains(msg, "--in"));
  CHECK(contains(msg, "absent.safetensors"));

  save_safetensors(in, {{"logits", test::randn({3, 2}, 6)},
                        {"labels", labels_of({0, 1, 1})},
                        {"class_counts", from_vector({4, 2.5}, {2}, DType::Float64)}});
  msg = run({"--method", "bs", "--in", in, "--out", out});
  CHECK(contains(msg, "class_counts[1] = 2.5"));
  CHECK(!std::filesystem::exists(out));
}
