#include "nn/encoder.h"

#include "nn/resnet.h"
#include "nn/resnet_cifar.h"

namespace bcl::nn {

std::vector<std::string> encoder_names() {
  return {"resnet32", "resnet50", "resnext50_32x4d"};
}

std::shared_ptr<Encoder> make_encoder(const std::string& arch, Generator& gen) {
  if (arch == "resnet32") return resnet32(gen);
  if (arch == "resnet50") return resnet50(gen);
  if (arch == "resnext50_32x4d") return resnext50_32x4d(gen);
  std::string known;
  for (const std::string& name : encoder_names()) known += (known.empty() ? "" : ", ") + name;
  BCL_CHECK(false, "make_encoder: unknown architecture \"", arch, "\" (known: ", known, ")");
  return nullptr;
}

}  // namespace bcl::nn
