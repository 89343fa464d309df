// Reading and writing tensors in the safetensors format
// (https://github.com/huggingface/safetensors).
//
// A file is
//   8 bytes   N, the header's length, as a little-endian uint64
//   N bytes   a JSON object: {"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [b, e]},
//             ..., "__metadata__": {"key": "value", ...}} (metadata optional, strings only)
//   the rest  the tensors' raw little-endian bytes; tensor `name` is bytes [b, e) of this part.
// The format holds no code, so loading an untrusted file is safe; PyTorch reads and writes it with
// the `safetensors` package, which makes it the exchange format for checkpoints and golden data.
//
// bcl reads and writes F32, F64 and I64. Tensors are saved from and loaded to the CPU.
#pragma once

#include <map>
#include <string>

#include "tensor/tensor.h"

namespace bcl {

struct SafetensorsFile {
  std::map<std::string, Tensor> tensors;
  std::map<std::string, std::string> metadata;
};

// Validates the whole file (sizes, header, dtypes, shapes, offsets) before trusting any of it; any
// problem throws bcl::Error naming the file and what is wrong.
SafetensorsFile load_safetensors(const std::string& path);

// Writes to "<path>.tmp.<pid>", flushes it to disk, then renames it over `path`: a crash leaves
// either the old file or the new one, never a torn one. Non-contiguous tensors are written in
// row-major order. The name "__metadata__" is reserved.
void save_safetensors(const std::string& path, const std::map<std::string, Tensor>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

}  // namespace bcl
