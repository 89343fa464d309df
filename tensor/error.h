// Errors: every failed check throws bcl::Error with a message that names the op and the shapes.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace bcl {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {
template <class... Args>
std::string cat(const Args&... args) {
  std::ostringstream os;
  (os << ... << args);
  return os.str();
}
[[noreturn]] void throw_error(const std::string& msg);
}  // namespace detail

}  // namespace bcl

// BCL_CHECK(cond, "op: message ", value, ...) throws bcl::Error with the concatenated message.
#define BCL_CHECK(cond, ...)                                                  \
  do {                                                                        \
    if (!(cond)) ::bcl::detail::throw_error(::bcl::detail::cat(__VA_ARGS__)); \
  } while (0)
