// Readers for the binary versions of CIFAR-10 and CIFAR-100 (Krizhevsky, 2009).
//
// A batch file is a sequence of records, each a label and a 32x32 RGB image stored CHW: 1024 bytes
// of red, then green, then blue, each plane row-major.
//   CIFAR-10:  DIR/data_batch_1.bin .. data_batch_5.bin (train), DIR/test_batch.bin;
//              record = 1 label byte + 3072 pixel bytes; class names from batches.meta.txt.
//   CIFAR-100: DIR/train.bin, DIR/test.bin; record = coarse label byte + fine label byte + 3072
//              pixel bytes; the fine label (100 classes) is used; names from fine_label_names.txt.
// DIR may also be the folder the official archive unpacks into (cifar-10-batches-bin/,
// cifar-100-binary/). Without the names file the standard names are used.
#pragma once

#include <string>

#include "data/dataset.h"

namespace bcl::data {

Dataset read_cifar10(const std::string& dir, bool train);
Dataset read_cifar100(const std::string& dir, bool train);

}  // namespace bcl::data
