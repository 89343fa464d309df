// Runs the command-line apps (bcl-train, bcl-eval, bcl-data, ...) as child processes, for tests
// of what a user sees: exit codes, messages, and files left behind after a kill.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace bcl::test {

struct AppRun {
  int exit_code = -1;   // the exit status, or -1 when a signal ended the process
  int term_signal = 0;  // the signal that ended it, or 0
  std::string output;   // stdout and stderr, interleaved as written
};

// The folder that holds the test binary, where the Makefile also puts the apps.
std::string app_dir();

// Runs app_dir()/app with args. on_line (optional) sees each output line as it arrives; when it
// returns true the app is sent SIGKILL at once. Throws bcl::Error if the app cannot be started.
AppRun run_app(const std::string& app, const std::vector<std::string>& args,
               const std::function<bool(const std::string&)>& on_line = {});

}  // namespace bcl::test
