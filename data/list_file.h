// List-file datasets: the split format of ImageNet-LT, iNaturalist 2018 and Places-LT.
//
// One sample per line, `<relative path> <label>`, e.g. `train/n01440764/n01440764_762.JPEG 0`;
// the label is the last whitespace-separated field, so paths may contain spaces. Blank lines are
// skipped. A list ending in .gz is read through zlib (a plain file is read as is). The images, at
// ROOT/<relative path>, are large, so they are not decoded here: the dataset is lazy() and the
// loader decodes each one when its batch is built.
#pragma once

#include <cstdint>
#include <string>

#include "data/dataset.h"

namespace bcl::data {

// The whole text of a file, gunzipped when it is gzip-compressed; bcl::Error naming the file when
// it is missing, unreadable or a damaged gzip stream.
std::string read_text_file(const std::string& path);

// Class names are the label numbers ("0", "1", ...). With num_classes > 0 every label must be below
// it; with 0 the class count is the largest label + 1. A line with no label, a label that is not a
// non-negative integer, or one out of range throws bcl::Error naming the file and the line number.
Dataset read_list_file(const std::string& list_path, const std::string& root,
                       int64_t num_classes = 0);

}  // namespace bcl::data
