#include "tests/skip.h"

#include <doctest/doctest.h>

namespace bcl::test {
namespace {
int g_current_skip = -1;
}  // namespace

const char* skip_reason_text(SkipReason reason) {
  switch (reason) {
    case SkipReason::NoGpu:
      return "no GPU";
    case SkipReason::CpuOnlyBuild:
      return "CPU-only build";
    case SkipReason::NoMpi:
      return "no MPI";
    case SkipReason::NoData:
      return "no data";
    case SkipReason::GpuPresent:
      return "GPU present";
    case SkipReason::NoIsa:
      return "CPU lacks the instruction set";
  }
  return "?";
}

void skip(SkipReason reason, const std::string& detail) {
  g_current_skip = static_cast<int>(reason);
  const std::string text = skip_reason_text(reason);
  if (detail.empty()) {
    MESSAGE("skipped: ", text);
  } else {
    MESSAGE("skipped: ", text, " (", detail, ")");
  }
}

int current_skip() {
  return g_current_skip;
}
void reset_current_skip() {
  g_current_skip = -1;
}

}  // namespace bcl::test
