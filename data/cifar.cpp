#include "data/cifar.h"

#include <array>
#include <cctype>
#include <filesystem>
#include <fstream>

#include "tensor/error.h"

namespace bcl::data {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kSide = 32;
constexpr int64_t kPixelBytes = 3 * kSide * kSide;

const std::array<const char*, 10> kCifar10Names = {
    "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"};

const std::array<const char*, 100> kCifar100Names = {
    "apple",       "aquarium_fish", "baby",      "bear",       "beaver",       "bed",
    "bee",         "beetle",        "bicycle",   "bottle",     "bowl",         "boy",
    "bridge",      "bus",           "butterfly", "camel",      "can",          "castle",
    "caterpillar", "cattle",        "chair",     "chimpanzee", "clock",        "cloud",
    "cockroach",   "couch",         "crab",      "crocodile",  "cup",          "dinosaur",
    "dolphin",     "elephant",      "flatfish",  "forest",     "fox",          "girl",
    "hamster",     "house",         "kangaroo",  "keyboard",   "lamp",         "lawn_mower",
    "leopard",     "lion",          "lizard",    "lobster",    "man",          "maple_tree",
    "motorcycle",  "mountain",      "mouse",     "mushroom",   "oak_tree",     "orange",
    "orchid",      "otter",         "palm_tree", "pear",       "pickup_truck", "pine_tree",
    "plain",       "plate",         "poppy",     "porcupine",  "possum",       "rabbit",
    "raccoon",     "ray",           "road",      "rocket",     "rose",         "sea",
    "seal",        "shark",         "shrew",     "skunk",      "skyscraper",   "snail",
    "snake",       "spider",        "squirrel",  "streetcar",  "sunflower",    "sweet_pepper",
    "table",       "tank",          "telephone", "television", "tiger",        "tractor",
    "train",       "trout",         "tulip",     "turtle",     "wardrobe",     "whale",
    "willow_tree", "wolf",          "woman",     "worm"};

struct Format {
  const char* name;            // for messages
  const char* archive_folder;  // what the official archive unpacks into
  std::vector<std::string> train_files, test_files;
  const char* names_file;
  int64_t label_bytes;  // bytes before the pixels; the label used is the last of them
  int64_t num_classes;
};

const Format& cifar10_format() {
  static const Format f{"CIFAR-10",
                        "cifar-10-batches-bin",
                        {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
                         "data_batch_4.bin", "data_batch_5.bin"},
                        {"test_batch.bin"},
                        "batches.meta.txt",
                        1,
                        10};
  return f;
}

const Format& cifar100_format() {
  static const Format f{
      "CIFAR-100", "cifar-100-binary", {"train.bin"}, {"test.bin"}, "fine_label_names.txt", 2, 100};
  return f;
}

// DIR itself when it holds the split's first file, else DIR/<archive folder> when that does.
fs::path find_folder(const std::string& dir, const Format& f, bool train) {
  BCL_CHECK(fs::is_directory(dir), f.name, ": folder not found: ", dir);
  const std::string& probe = train ? f.train_files.front() : f.test_files.front();
  for (const fs::path& candidate : {fs::path(dir), fs::path(dir) / f.archive_folder}) {
    if (fs::exists(candidate / probe)) return candidate;
  }
  BCL_CHECK(false, f.name, ": ", (fs::path(dir) / probe).string(), " not found (nor in ",
            (fs::path(dir) / f.archive_folder).string(),
            "/); scripts/get_data.sh downloads the binary version");
  return {};
}

// One name per non-empty line, when the file exists.
std::vector<std::string> class_names(const fs::path& folder, const Format& f) {
  const fs::path path = folder / f.names_file;
  if (!fs::exists(path)) {
    const char* const* begin = f.num_classes == 10 ? kCifar10Names.data() : kCifar100Names.data();
    return std::vector<std::string>(begin, begin + f.num_classes);
  }
  std::vector<std::string> names;
  std::ifstream in(path);
  BCL_CHECK(in.is_open(), path.string(), ": cannot open for reading");
  for (std::string line; std::getline(in, line);) {
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
    if (!line.empty()) names.push_back(line);
  }
  BCL_CHECK(static_cast<int64_t>(names.size()) == f.num_classes, path.string(), ": ", names.size(),
            " class names, expected ", f.num_classes);
  return names;
}

void read_batch(const fs::path& path, const Format& f, Dataset& out) {
  BCL_CHECK(fs::exists(path), f.name, ": ", path.string(), " not found");
  const int64_t record = f.label_bytes + kPixelBytes;
  const auto size = static_cast<int64_t>(fs::file_size(path));
  BCL_CHECK(size > 0 && size % record == 0, f.name, ": ", path.string(), " is ", size,
            " bytes, not a whole number of ", record, "-byte records (truncated or not a ", f.name,
            " binary file)");
  std::ifstream in(path, std::ios::binary);
  BCL_CHECK(in.is_open(), f.name, ": ", path.string(), ": cannot open for reading");
  std::vector<uint8_t> rec(static_cast<size_t>(record));
  out.images.reserve(out.images.size() + static_cast<size_t>(size / record));
  out.labels.reserve(out.labels.size() + static_cast<size_t>(size / record));
  for (int64_t r = 0; r < size / record; ++r) {
    in.read(reinterpret_cast<char*>(rec.data()), record);
    BCL_CHECK(in.good(), f.name, ": ", path.string(), ": read error at record ", r);
    const int64_t label = rec[static_cast<size_t>(f.label_bytes - 1)];
    BCL_CHECK(label < f.num_classes, f.name, ": ", path.string(), ": record ", r, " has label ",
              label, ", outside [0, ", f.num_classes, ")");
    // CHW planes -> HWC pixels.
    const uint8_t* planes = rec.data() + f.label_bytes;
    Image img(kSide, kSide);
    for (int64_t c = 0; c < 3; ++c) {
      for (int64_t p = 0; p < kSide * kSide; ++p) {
        img.pixels[static_cast<size_t>(p * 3 + c)] = planes[c * kSide * kSide + p];
      }
    }
    out.images.push_back(std::move(img));
    out.labels.push_back(label);
  }
}

Dataset read_cifar(const std::string& dir, const Format& f, bool train) {
  const fs::path folder = find_folder(dir, f, train);
  Dataset ds;
  ds.class_names = class_names(folder, f);
  for (const std::string& file : train ? f.train_files : f.test_files) {
    read_batch(folder / file, f, ds);
  }
  return ds;
}

}  // namespace

Dataset read_cifar10(const std::string& dir, bool train) {
  return read_cifar(dir, cifar10_format(), train);
}

Dataset read_cifar100(const std::string& dir, bool train) {
  return read_cifar(dir, cifar100_format(), train);
}

}  // namespace bcl::data
