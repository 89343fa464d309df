// The doctest runner. After the usual report it prints the plain closing line
// "N passed, M failed, K skipped" (test cases) on a line of its own, K counting the cases that
// called test::skip() (tests/skip.h), with a line per skip reason above it. It fails when a case
// failed, when no case ran, and when none passed.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>

#include "tests/skip.h"

namespace {
struct CountingReporter : public doctest::IReporter {
  explicit CountingReporter(const doctest::ContextOptions&) {}
  void report_query(const doctest::QueryData&) override {}
  void test_run_start() override {}
  void test_run_end(const doctest::TestRunStats&) override { ran = true; }
  void test_case_start(const doctest::TestCaseData&) override { bcl::test::reset_current_skip(); }
  void test_case_reenter(const doctest::TestCaseData&) override {}
  // Once per case, after all its subcases: a failure wins over a skip, a skip over a pass.
  void test_case_end(const doctest::CurrentTestCaseStats& stats) override {
    const int reason = bcl::test::current_skip();
    if (!stats.testCaseSuccess) {
      ++failed;
    } else if (reason >= 0) {
      ++skipped[reason];
    } else {
      ++passed;
    }
  }
  void test_case_exception(const doctest::TestCaseException&) override {}
  void subcase_start(const doctest::SubcaseSignature&) override {}
  void subcase_end() override {}
  void log_assert(const doctest::AssertData&) override {}
  void log_message(const doctest::MessageData&) override {}
  void test_case_skipped(const doctest::TestCaseData&) override {}

  static inline unsigned passed = 0, failed = 0;
  static inline unsigned skipped[bcl::test::kNumSkipReasons] = {};
  static inline bool ran = false;
};
DOCTEST_REGISTER_LISTENER("counting", 1, CountingReporter);
}  // namespace

int main(int argc, char** argv) {
  doctest::Context context(argc, argv);
  int rc = context.run();
  if (context.shouldExit()) return rc;  // --list-test-cases, --help, ...
  unsigned skipped = 0;
  for (int r = 0; r < bcl::test::kNumSkipReasons; ++r) {
    const unsigned n = CountingReporter::skipped[r];
    if (n == 0) continue;
    std::printf("skipped, %s: %u\n",
                bcl::test::skip_reason_text(static_cast<bcl::test::SkipReason>(r)), n);
    skipped += n;
  }
  std::printf("%u passed, %u failed, %u skipped\n", CountingReporter::passed,
              CountingReporter::failed, skipped);
  if (CountingReporter::ran && CountingReporter::passed == 0) {
    std::printf("error: no test case passed\n");
    return 1;
  }
  return rc;
}
