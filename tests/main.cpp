// The doctest runner. After the usual report it prints the plain closing line
// "N passed, M failed" (test cases) on a line of its own, and fails when no test case ran.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>

namespace {
struct CountingReporter : public doctest::IReporter {
  explicit CountingReporter(const doctest::ContextOptions&) {}
  void report_query(const doctest::QueryData&) override {}
  void test_run_start() override {}
  void test_run_end(const doctest::TestRunStats& stats) override {
    passed = stats.numTestCasesPassingFilters - stats.numTestCasesFailed;
    failed = stats.numTestCasesFailed;
    ran = true;
  }
  void test_case_start(const doctest::TestCaseData&) override {}
  void test_case_reenter(const doctest::TestCaseData&) override {}
  void test_case_end(const doctest::CurrentTestCaseStats&) override {}
  void test_case_exception(const doctest::TestCaseException&) override {}
  void subcase_start(const doctest::SubcaseSignature&) override {}
  void subcase_end() override {}
  void log_assert(const doctest::AssertData&) override {}
  void log_message(const doctest::MessageData&) override {}
  void test_case_skipped(const doctest::TestCaseData&) override {}

  static inline unsigned passed = 0, failed = 0;
  static inline bool ran = false;
};
DOCTEST_REGISTER_LISTENER("counting", 1, CountingReporter);
}  // namespace

int main(int argc, char** argv) {
  doctest::Context context(argc, argv);
  int rc = context.run();
  if (context.shouldExit()) return rc;  // --list-test-cases, --help, ...
  std::printf("%u passed, %u failed\n", CountingReporter::passed, CountingReporter::failed);
  if (CountingReporter::ran && CountingReporter::passed + CountingReporter::failed == 0) {
    std::printf("error: no test case ran\n");
    return 1;
  }
  return rc;
}
