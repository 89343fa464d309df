#include "data/dataset.h"

#include "data/image_io.h"
#include "tensor/error.h"

namespace bcl::data {

Image Dataset::image(int64_t i) const {
  BCL_CHECK(i >= 0 && i < size(), "Dataset::image: index ", i, " out of range for ", size(),
            " samples");
  if (lazy()) return decode_image_file(files[static_cast<size_t>(i)]);
  return images[static_cast<size_t>(i)];
}

std::vector<int64_t> Dataset::class_counts() const {
  std::vector<int64_t> counts(class_names.size(), 0);
  for (int64_t label : labels) {
    BCL_CHECK(label >= 0 && label < num_classes(), "Dataset::class_counts: label ", label,
              " out of range for ", num_classes(), " classes");
    ++counts[static_cast<size_t>(label)];
  }
  return counts;
}

Dataset Dataset::subset(const std::vector<int64_t>& indices) const {
  Dataset out;
  out.class_names = class_names;
  out.labels.reserve(indices.size());
  for (int64_t i : indices) {
    BCL_CHECK(i >= 0 && i < size(), "Dataset::subset: index ", i, " out of range for ", size(),
              " samples");
    out.labels.push_back(labels[static_cast<size_t>(i)]);
    if (lazy()) {
      out.files.push_back(files[static_cast<size_t>(i)]);
    } else {
      out.images.push_back(images[static_cast<size_t>(i)]);
    }
  }
  return out;
}

void Dataset::validate(const std::string& what) const {
  const size_t n = labels.size();
  BCL_CHECK(images.empty() || files.empty(), what, ": a dataset holds images or files, not both");
  BCL_CHECK(images.size() == n || files.size() == n, what, ": ", n, " labels but ", images.size(),
            " images and ", files.size(), " files");
  BCL_CHECK(!class_names.empty() || n == 0, what, ": samples but no classes");
  for (size_t i = 0; i < n; ++i) {
    BCL_CHECK(labels[i] >= 0 && labels[i] < num_classes(), what, ": sample ", i, " has label ",
              labels[i], ", outside [0, ", num_classes(), ")");
  }
}

}  // namespace bcl::data
