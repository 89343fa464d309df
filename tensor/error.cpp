#include "tensor/error.h"

namespace bcl::detail {

void throw_error(const std::string& msg) {
  throw Error(msg);
}

}  // namespace bcl::detail
