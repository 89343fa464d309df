// Dataset specs: how the command line names a dataset.
//
//   cifar10:DIR                  CIFAR-10 binary batches (cifar.h)
//   cifar100:DIR                 CIFAR-100 binary files
//   folder:DIR                   DIR/train/<class>/*.jpg and DIR/test/<class>/*.jpg
//   (image_folder.h) list:ROOT:TRAIN.txt:TEST.txt list files (list_file.h) of images under ROOT;
//   lazy, 224 px
//
// e.g. the embedded default `folder:data/embedded/cifar10-lt-mini`.
#pragma once

#include <cstdint>
#include <string>

#include "data/augment.h"
#include "data/dataset.h"

namespace bcl::data {

struct DataSplits {
  std::string kind;  // "cifar10", "cifar100", "folder" or "list"
  Dataset train, test;
  // CIFAR: the published statistics; folder: computed from the training images; list: ImageNet's.
  Normalization normalization;
  // Small images all of one square size (CIFAR) are augmented at that size; large or mixed-size
  // ones (list datasets, folders of photos) are resized and cropped to image_size = 224.
  bool large_images = false;
  int64_t image_size = 32;
};

// Reads both splits (num_threads decode image folders; 0: one per core). A malformed spec or an
// unknown kind throws bcl::Error that quotes the spec and lists the accepted forms.
DataSplits load_dataset(const std::string& spec, int num_threads = 0);

// The input normalisation a --normalize NAME asks for:
//   auto      what load_dataset chose (published statistics for cifar10/cifar100/list, the
//             training images' own statistics for a folder)
//   dataset   the per-channel mean and std of the training images (not for lazy list datasets)
//   cifar10, cifar100, imagenet   the published constants of augment.h
// An unknown name throws bcl::Error listing these.
Normalization choose_normalization(const std::string& name, const DataSplits& splits);

// One-view transforms for plain supervised training and for evaluation (augment.h presets).
MultiViewTransform default_train_transform(const DataSplits& splits);
MultiViewTransform default_eval_transform(const DataSplits& splits);

}  // namespace bcl::data
