#include "tests/apps/app_runner.h"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "tensor/error.h"

extern char** environ;

namespace bcl::test {

std::string app_dir() {
  return std::filesystem::read_symlink("/proc/self/exe").parent_path();
}

AppRun run_app(const std::string& app, const std::vector<std::string>& args,
               const std::function<bool(const std::string&)>& on_line) {
  const std::string path = app_dir() + "/" + app;
  BCL_CHECK(access(path.c_str(), X_OK) == 0, "run_app: ", path, " is not built (make all)");
  int fds[2];
  BCL_CHECK(pipe(fds) == 0, "run_app: pipe: ", std::strerror(errno));

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  posix_spawn_file_actions_addclose(&actions, fds[1]);
  std::vector<std::string> argv_strings = {path};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_strings) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, path.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  if (rc != 0) close(fds[0]);
  BCL_CHECK(rc == 0, "run_app: cannot start ", path, ": ", std::strerror(rc));

  AppRun run;
  std::string line;
  bool killed = false;
  char buf[4096];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) != 0;) {
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    run.output.append(buf, static_cast<size_t>(n));
    for (ssize_t i = 0; i < n; ++i) {
      if (buf[i] != '\n') {
        line += buf[i];
        continue;
      }
      if (!killed && on_line && on_line(line)) {
        kill(pid, SIGKILL);
        killed = true;
      }
      line.clear();
    }
  }
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) run.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) run.term_signal = WTERMSIG(status);
  return run;
}

}  // namespace bcl::test
