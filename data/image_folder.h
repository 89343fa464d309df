// Image folders: DIR/<class>/*.{jpg,jpeg,png}, one subfolder per class (the torchvision
// ImageFolder layout), decoded into memory when read.
#pragma once

#include <string>
#include <vector>

#include "data/dataset.h"

namespace bcl::data {

// Reads one split folder. The classes are its subfolders sorted by name, or, when `classes` is
// given (a test split read with the training split's classes), those: a subfolder that is not one
// of them is an error, a class without a subfolder simply has no samples. Within a class, files are
// taken in name order; other files (and hidden ones) are skipped. The files are decoded by
// `num_threads` threads (0: one per core); a bad file throws bcl::Error naming it.
Dataset read_image_folder(const std::string& dir, const std::vector<std::string>& classes = {},
                          int num_threads = 0);

}  // namespace bcl::data
