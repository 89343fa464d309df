// What the golden tests share: reading a file that PyTorch wrote (tests/golden/make_*.py).
#pragma once

#include <filesystem>
#include <string>

#include "tensor/safetensors.h"
#include "tests/test_util.h"

namespace bcl::test {

// tests/golden/data/<name>.safetensors; stops the test with a hint when the file is not there.
inline SafetensorsFile load_golden(const std::string& name) {
  const std::string path = repo_path("tests/golden/data/" + name + ".safetensors");
  REQUIRE_MESSAGE(std::filesystem::exists(path), "golden file ", path,
                  " not found: run the tests from the repository root or set BCL_REPO_ROOT");
  return load_safetensors(path);
}

}  // namespace bcl::test
