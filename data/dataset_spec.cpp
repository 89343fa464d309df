#include "data/dataset_spec.h"

#include <filesystem>
#include <vector>

#include "data/cifar.h"
#include "data/image_folder.h"
#include "data/list_file.h"
#include "tensor/error.h"

namespace bcl::data {
namespace {

constexpr const char* kForms =
    "expected cifar10:DIR, cifar100:DIR, folder:DIR or list:ROOT:TRAIN.txt:TEST.txt";

std::vector<std::string> split_fields(const std::string& s) {
  std::vector<std::string> fields;
  size_t begin = 0;
  for (size_t colon; (colon = s.find(':', begin)) != std::string::npos; begin = colon + 1) {
    fields.push_back(s.substr(begin, colon - begin));
  }
  fields.push_back(s.substr(begin));
  return fields;
}

// The common square size of every image, or 0 when sizes differ or are not square.
int64_t common_square_size(const Dataset& train, const Dataset& test) {
  int64_t size = -1;
  for (const Dataset* ds : {&train, &test}) {
    for (const Image& img : ds->images) {
      if (img.height != img.width || (size >= 0 && img.height != size)) return 0;
      size = img.height;
    }
  }
  return size < 0 ? 0 : size;
}

}  // namespace

DataSplits load_dataset(const std::string& spec, int num_threads) {
  const size_t colon = spec.find(':');
  BCL_CHECK(colon != std::string::npos && colon > 0, "dataset spec '", spec, "': no kind (", kForms,
            ")");
  DataSplits s;
  s.kind = spec.substr(0, colon);
  const std::string rest = spec.substr(colon + 1);

  if (s.kind == "list") {
    const std::vector<std::string> f = split_fields(rest);
    BCL_CHECK(f.size() == 3 && !f[0].empty() && !f[1].empty() && !f[2].empty(), "dataset spec '",
              spec, "': list needs ROOT:TRAIN.txt:TEST.txt, three non-empty fields");
    BCL_CHECK(std::filesystem::is_directory(f[0]), "dataset spec '", spec,
              "': image root folder not found: ", f[0]);
    s.train = read_list_file(f[1], f[0]);
    s.test = read_list_file(f[2], f[0], s.train.num_classes());
    s.normalization = kImageNetNormalization;
    s.large_images = true;
    s.image_size = 224;
    return s;
  }

  BCL_CHECK(!rest.empty(), "dataset spec '", spec, "': no folder after '", s.kind, ":' (", kForms,
            ")");
  if (s.kind == "cifar10") {
    s.train = read_cifar10(rest, true);
    s.test = read_cifar10(rest, false);
    s.normalization = kCifar10Normalization;
  } else if (s.kind == "cifar100") {
    s.train = read_cifar100(rest, true);
    s.test = read_cifar100(rest, false);
    s.normalization = kCifar100Normalization;
  } else if (s.kind == "folder") {
    namespace fs = std::filesystem;
    BCL_CHECK(fs::is_directory(rest), "dataset spec '", spec, "': folder not found: ", rest);
    s.train = read_image_folder((fs::path(rest) / "train").string(), {}, num_threads);
    s.test =
        read_image_folder((fs::path(rest) / "test").string(), s.train.class_names, num_threads);
    s.normalization = compute_normalization(s.train);
  } else {
    BCL_CHECK(false, "dataset spec '", spec, "': unknown kind '", s.kind, "' (", kForms, ")");
  }
  const int64_t size = common_square_size(s.train, s.test);
  s.large_images = size == 0;
  s.image_size = size == 0 ? 224 : size;
  return s;
}

Normalization choose_normalization(const std::string& name, const DataSplits& s) {
  if (name == "auto") return s.normalization;
  if (name == "cifar10") return kCifar10Normalization;
  if (name == "cifar100") return kCifar100Normalization;
  if (name == "imagenet") return kImageNetNormalization;
  if (name == "dataset") {
    BCL_CHECK(!s.train.lazy(), "--normalize dataset: the ", s.kind,
              " training images are read lazily, so their statistics are unknown; use "
              "--normalize imagenet or auto");
    return compute_normalization(s.train);
  }
  BCL_CHECK(false, "--normalize '", name,
            "': expected auto, dataset, cifar10, cifar100 or imagenet");
  return {};
}

MultiViewTransform default_train_transform(const DataSplits& s) {
  if (s.large_images) return {{large_image_train_pipeline(s.normalization, s.image_size)}};
  // 4 pixels of padding for 32 px, as LDAM and BCL; in proportion for other sizes.
  return {{cifar_train_pipeline(s.normalization, s.image_size, s.image_size / 8)}};
}

MultiViewTransform default_eval_transform(const DataSplits& s) {
  if (s.large_images) return {{large_image_eval_pipeline(s.normalization, s.image_size)}};
  return {{plain_pipeline(s.normalization)}};
}

}  // namespace bcl::data
