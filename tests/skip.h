// Skipped test cases, counted as skipped. A case that cannot run here (no GPU, a CPU-only build, no
// MPI, data that only some machines have) calls skip() with its reason and returns; the runner
// (tests/main.cpp) then reports it as skipped, never as passed, and lists the skips by reason.
#pragma once

#include <string>

namespace bcl::test {

// The fixed list of reasons a case may give.
enum class SkipReason {
  NoGpu,         // built with CUDA=1, but no CUDA GPU is present
  CpuOnlyBuild,  // built without CUDA (make CUDA=1 builds the CUDA backend)
  NoMpi,         // no MPI launcher or library for multi-process cases
  NoData,        // a data file that only some machines have (../shared/data) is absent
  GpuPresent,    // a case about running without a GPU, on a machine that has one
  NoIsa,         // the CPU lacks the instruction set the case needs (e.g. AVX-512)
};
constexpr int kNumSkipReasons = 6;

const char* skip_reason_text(SkipReason reason);

// Marks the running case skipped for `reason` (detail, if any, is printed with it). The case
// should return right after; an assertion that failed before or after still fails it.
void skip(SkipReason reason, const std::string& detail = "");

// For the runner: the reason the running case was skipped for, or -1; reset() at each case.
int current_skip();
void reset_current_skip();

}  // namespace bcl::test
