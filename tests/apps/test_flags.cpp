// One spelling per shared flag: every program's --help is read, and no option may use a spelling
// that another program spells differently. The programs are found in apps/, so a new one is
// covered without a change here. Old spellings stay accepted as hidden aliases (train/flags.h).
#include <algorithm>
#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <string>

#include "tests/apps/app_runner.h"
#include "tests/data/data_test_util.h"
#include "tests/test_util.h"

using namespace bcl;

namespace {

// Every spelling some program used, or a user would guess, for a shared option, and the one
// spelling every program uses instead.
const std::map<std::string, std::string>& other_spellings() {
  static const std::map<std::string, std::string> m = {
      {"--batch", "--batch-size"},    {"--bs", "--batch-size"},    {"--nthreads", "--threads"},
      {"--num-threads", "--threads"}, {"--random-seed", "--seed"}, {"--gpu", "--device"},
      {"--cuda", "--device"},         {"--dataset", "--data"},     {"--arch", "--model"},
      {"--net", "--model"},           {"--loss", "--method"},      {"--dtype", "--precision"},
      {"--amp", "--precision"},       {"--tau", "--la-tau"},       {"--size", "--image-size"},
  };
  return m;
}

std::vector<std::string> programs() {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(test::repo_path("apps")))
    if (entry.path().extension() == ".cpp") names.push_back(entry.path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

// The long options a --help lists.
std::set<std::string> listed_options(const std::string& help) {
  std::set<std::string> options;
  const std::regex option(R"((^|[\s,])(--[a-z0-9][a-z0-9-]*))");
  for (std::sregex_iterator it(help.begin(), help.end(), option), end; it != end; ++it)
    options.insert((*it)[2].str());
  return options;
}

}  // namespace

TEST_CASE("apps/every program spells the shared flags the same way") {
  const std::vector<std::string> names = programs();
  REQUIRE(names.size() >= 9);
  std::set<std::string> seen;
  for (const std::string& name : names) {
    INFO("program: ", name);
    const test::AppRun run = test::run_app(name, {"--help"});
    INFO("output:\n", run.output);
    REQUIRE(run.exit_code == 0);
    const std::set<std::string> options = listed_options(run.output);
    CHECK(options.count("--help") == 1);  // the parse found the options list
    for (const std::string& o : options) {
      const auto other = other_spellings().find(o);
      if (other != other_spellings().end()) {
        FAIL_CHECK(name, " lists ", o, "; the shared spelling is ", other->second);
      }
      seen.insert(o);
    }
  }
  // The shared options exist somewhere under their one name.
  for (const char* shared : {"--batch-size", "--threads", "--seed", "--device", "--data", "--model",
                             "--method", "--precision"})
    CHECK_MESSAGE(seen.count(shared) == 1, shared, " is listed by no program");
}

TEST_CASE("apps/old flag spellings are still accepted") {
  // bcl-conv-bench --batch and --size, as scripts and records of earlier runs spell them.
  const test::AppRun run = test::run_app(
      "bcl-conv-bench",
      {"--batch", "1", "--size", "4", "--channels", "2", "--reps", "1", "--warmup", "0"});
  INFO("output:\n", run.output);
  CHECK(run.exit_code == 0);
  CHECK(test::contains(run.output, "\"batch\":1,"));
  CHECK(test::contains(run.output, "\"size\":4,"));
}
