#include <algorithm>
#include <fstream>
#include <numeric>

#include "data/cifar.h"
#include "data/long_tail.h"
#include "tests/data/data_test_util.h"
#include "tests/test_util.h"

using namespace bcl;
using namespace bcl::data;

namespace {

// Labels of a balanced dataset, classes interleaved: 0, 1, ..., C-1, 0, 1, ...
std::vector<int64_t> balanced_labels(int64_t per_class, int64_t classes) {
  std::vector<int64_t> labels(static_cast<size_t>(per_class * classes));
  for (size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<int64_t>(i) % classes;
  return labels;
}

std::vector<int64_t> counts_of(const std::vector<int64_t>& labels,
                               const std::vector<int64_t>& indices, int64_t classes) {
  std::vector<int64_t> counts(static_cast<size_t>(classes), 0);
  for (int64_t i : indices) ++counts[static_cast<size_t>(labels[static_cast<size_t>(i)])];
  return counts;
}

int64_t total(const std::vector<int64_t>& v) {
  return std::accumulate(v.begin(), v.end(), int64_t{0});
}

}  // namespace

TEST_CASE("data/long tail profiles match LDAM-DRW") {
  const std::vector<int64_t> cifar10 = {5000, 2997, 1796, 1077, 645, 387, 232, 139, 83, 50};
  CHECK(long_tail_counts(5000, 10, 100, ImbalanceType::Exponential) == cifar10);
  CHECK(total(long_tail_counts(500, 100, 100, ImbalanceType::Exponential)) == 10847);
  CHECK(long_tail_counts(300, 10, 100, ImbalanceType::Exponential) ==
        std::vector<int64_t>{300, 179, 107, 64, 38, 23, 13, 8, 5, 3});
  CHECK(long_tail_counts(5000, 10, 10, ImbalanceType::Step) ==
        std::vector<int64_t>{5000, 5000, 5000, 5000, 5000, 500, 500, 500, 500, 500});
  CHECK(long_tail_counts(5000, 10, 1, ImbalanceType::Exponential) ==
        std::vector<int64_t>(10, 5000));
  CHECK(long_tail_counts(7, 1, 100, ImbalanceType::Exponential) == std::vector<int64_t>{7});
  CHECK_THROWS_AS(long_tail_counts(10, 10, 0.5, ImbalanceType::Exponential), Error);
  CHECK(parse_imbalance_type("step") == ImbalanceType::Step);
  CHECK_THROWS_WITH_AS(parse_imbalance_type("linear"), doctest::Contains("--imbalance-type"),
                       Error);
}

TEST_CASE("data/long tail selection: exact CIFAR-10 counts, seeded and deterministic") {
  const std::vector<int64_t> labels = balanced_labels(5000, 10);
  LongTailOptions options;
  options.ratio = 100;
  const std::vector<int64_t> keep = long_tail_indices(labels, 10, options);
  CHECK(counts_of(labels, keep, 10) ==
        std::vector<int64_t>{5000, 2997, 1796, 1077, 645, 387, 232, 139, 83, 50});
  CHECK(keep.size() == 12406);
  CHECK(std::is_sorted(keep.begin(), keep.end()));
  CHECK(std::adjacent_find(keep.begin(), keep.end()) == keep.end());

  CHECK(long_tail_indices(labels, 10, options) == keep);  // same seed, same images
  options.data_seed = 1;
  const std::vector<int64_t> other = long_tail_indices(labels, 10, options);
  CHECK(counts_of(labels, other, 10) == counts_of(labels, keep, 10));
  CHECK(other != keep);
  // The kept tail images are a shuffled choice, not the first 50 of the class.
  std::vector<int64_t> tail;
  for (int64_t i : other) {
    if (labels[static_cast<size_t>(i)] == 9) tail.push_back(i);
  }
  CHECK(tail.back() > 9 + 10 * 49);

  options.ratio = 1;
  CHECK(long_tail_indices(labels, 10, options).size() == labels.size());
  options.ratio = 10;
  options.type = ImbalanceType::Step;
  CHECK(counts_of(labels, long_tail_indices(labels, 10, options), 10) ==
        std::vector<int64_t>{5000, 5000, 5000, 5000, 5000, 500, 500, 500, 500, 500});
}

TEST_CASE("data/long tail CIFAR-100 at R=100 keeps 10,847 images, test set untouched") {
  test::TempDir dir("cifar100_lt");
  // 500 black images of each fine class, streamed out (the pattern writer is slow at 153 MB).
  {
    std::ofstream out(dir.file("train.bin"), std::ios::binary);
    std::vector<char> record(2 + 3072, 0);
    for (int i = 0; i < 50000; ++i) {
      record[1] = static_cast<char>(i % 100);
      out.write(record.data(), static_cast<std::streamsize>(record.size()));
    }
    REQUIRE(out.good());
  }
  std::vector<std::vector<uint8_t>> test_labels;
  for (int i = 0; i < 200; ++i) test_labels.push_back({0, static_cast<uint8_t>(i % 100)});
  test::write_cifar_file(dir.file("test.bin"), test_labels);

  const Dataset train = read_cifar100(dir.path().string(), true);
  REQUIRE(train.size() == 50000);
  LongTailOptions options;
  options.ratio = 100;
  const Dataset lt = make_long_tailed(train, options);
  CHECK(lt.size() == 10847);
  const std::vector<int64_t> counts = lt.class_counts();
  CHECK(counts.front() == 500);
  CHECK(counts.back() == 5);
  CHECK(lt.class_names == train.class_names);
  CHECK(read_cifar100(dir.path().string(), false).size() == 200);
}

TEST_CASE("data/class groups: many > 100, medium 20..100, few < 20") {
  CHECK(class_groups({5000, 101, 100, 20, 19, 0}) ==
        std::vector<ClassGroup>{ClassGroup::Many, ClassGroup::Many, ClassGroup::Medium,
                                ClassGroup::Medium, ClassGroup::Few, ClassGroup::Few});
  CHECK(std::string(class_group_name(ClassGroup::Medium)) == "medium");
}
