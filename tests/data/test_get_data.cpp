// scripts/get_data.sh's failure paths, through tests/data/test_get_data.sh (usage, a download that
// fails offline and says which folder to fill by hand, an archive with the wrong MD5, an archive
// already in place). The shell checks use a file:// mirror that does not exist, so no network.
#include <cstdio>
#include <string>

#include "tests/data/data_test_util.h"
#include "tests/test_util.h"

TEST_CASE("data/get_data.sh fails offline with a clear message and checks the MD5") {
  const std::string root = bcl::test::repo_path(".");
  const std::string command = "cd '" + root + "' && bash tests/data/test_get_data.sh 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string output;
  char buf[512];
  while (fgets(buf, sizeof buf, pipe) != nullptr) output += buf;
  const int status = pclose(pipe);
  INFO("tests/data/test_get_data.sh said:\n", output);
  CHECK(status == 0);
  CHECK(bcl::test::contains(output, "ok   offline download"));
  CHECK(bcl::test::contains(output, "ok   MD5 mismatch"));
  CHECK(bcl::test::contains(output, "all checks passed"));
}
