#include "train/train_config.h"

#include <sstream>

#include "train/flags.h"

namespace bcl::train {

void add_precision_flag(CLI::App& app, std::string& precision) {
  app.add_option("--precision", precision,
                 "fp32, or bf16: convolutions in bfloat16 with float32 sums and master weights; "
                 "batch norm, heads and losses in float32 (a GPU feature; the CPU emulates it)")
      ->check(CLI::IsMember({"fp32", "bf16"}))
      ->capture_default_str();
}

nn::Precision conv_precision(const std::string& precision) {
  return precision == "bf16" ? nn::Precision::BF16 : nn::Precision::Full;
}

void add_train_flags(CLI::App& app, TrainConfig& c) {
  app.set_config("--config", "", "read flags from a TOML/INI file (keys as the long flags)");
  app.add_option("--data", c.data,
                 "dataset spec: cifar10:DIR, cifar100:DIR, folder:DIR, "
                 "list:ROOT:TRAIN.txt:TEST.txt")
      ->capture_default_str();
  app.add_option("--imbalance", c.imbalance, "imbalance ratio R = n_max / n_min (1: as is)")
      ->check(CLI::Range(1.0, 1e9))
      ->capture_default_str();
  app.add_option("--imbalance-type", c.imbalance_type, "long-tail profile")
      ->check(CLI::IsMember({"exp", "step"}))
      ->capture_default_str();
  app.add_option("--data-seed", c.data_seed, "seed of the long-tailed subset")
      ->capture_default_str();
  app.add_option("--normalize", c.normalize,
                 "input mean/std: auto (published for cifar/list, computed for folder), "
                 "dataset, cifar10, cifar100, imagenet")
      ->check(CLI::IsMember({"auto", "dataset", "cifar10", "cifar100", "imagenet"}))
      ->capture_default_str();
  app.add_option("--workers", c.workers, "data loader threads")
      ->check(CLI::Range(0, 64))
      ->capture_default_str();
  app.add_flag("--data-on-device", c.data_on_device,
               "keep the uint8 training images on --device and make each batch's views there "
               "(small same-size images such as CIFAR's)");
  app.add_option("--model", c.model, "encoder")
      ->check(CLI::IsMember({"resnet32", "resnet50", "resnext50_32x4d"}))
      ->capture_default_str();
  app.add_flag("--cosine-classifier", c.cosine_classifier, "NormedLinear classifier (s = 30)");
  app.add_option("--head-hidden", c.head_hidden, "hidden width of the MLP heads")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--feat-dim", c.feat_dim, "output width of the MLP heads")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--method", c.method,
                 "ce: cross-entropy; bs: balanced softmax; scl: + SupCon; bcl: + balanced "
                 "contrastive loss")
      ->check(CLI::IsMember({"ce", "bs", "scl", "bcl"}))
      ->capture_default_str();
  app.add_option("--alpha", c.alpha, "weight of the cross-entropy term (scl, bcl)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--beta", c.beta, "weight of the contrastive term (scl, bcl)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--temperature", c.temperature, "contrastive temperature (scl, bcl)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--ce-aug", c.ce_aug, "augmentation of the cross-entropy view")
      ->check(CLI::IsMember({"crop-flip", "autoaug-cutout", "randaug"}))
      ->capture_default_str();
  app.add_option("--cl-views", c.cl_views, "augmentations of the two contrastive views")
      ->check(CLI::IsMember({"sim-sim", "sim-rand", "rand-rand"}))
      ->capture_default_str();
  app.add_option("--la-tau", c.la_tau, "logit adjustment: logits + tau * log(prior) (bs)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--epochs", c.epochs)->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--batch-size", c.batch_size)->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--lr", c.lr, "base learning rate")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--wd", c.wd, "weight decay")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--momentum", c.momentum)->check(CLI::Range(0.0, 1.0))->capture_default_str();
  app.add_flag("--nesterov", c.nesterov);
  app.add_option("--warmup-epochs", c.warmup_epochs)
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--schedule", c.schedule, "after warmup: cosine, or step (x0.1 at milestones)")
      ->check(CLI::IsMember({"cosine", "step"}))
      ->capture_default_str();
  app.add_option("--milestones", c.milestones_text,
                 "epochs where step multiplies the rate by 0.1, e.g. 160,180");
  add_device_flag(app, c.device);
  add_precision_flag(app, c.precision);
  app.add_option("--seed", c.seed, "model initialisation, data order and augmentation")
      ->capture_default_str();
  app.add_option("--threads", c.threads, "OpenMP threads (0: default)")
      ->check(CLI::Range(0, 1024))
      ->capture_default_str();
  app.add_option("--out", c.out, "run folder")->capture_default_str();
  app.add_flag("--resume", c.resume, "continue from OUT/last.safetensors");
  app.add_option("--eval-every", c.eval_every, "test every N epochs")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
}

void validate(TrainConfig& c) {
  c.milestones.clear();
  std::string item;
  std::istringstream in(c.milestones_text);
  while (std::getline(in, item, ',')) {
    const size_t a = item.find_first_not_of(' '), b = item.find_last_not_of(' ');
    if (a == std::string::npos) continue;
    item = item.substr(a, b - a + 1);
    size_t used = 0;
    int64_t m = 0;
    try {
      m = std::stoll(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != item.size())
      throw CLI::ValidationError("--milestones", "'" + item + "' is not an epoch number");
    c.milestones.push_back(m);
  }
  if (c.warmup_epochs >= c.epochs && c.epochs > 1)
    throw CLI::ValidationError("--warmup-epochs", "must be below --epochs");
  for (int64_t m : c.milestones)
    if (m <= 0 || m > c.epochs)
      throw CLI::ValidationError("--milestones",
                                 "each must be in [1, --epochs], got " + std::to_string(m));
  if (c.schedule == "step" && c.milestones.empty())
    throw CLI::ValidationError("--milestones", "--schedule step needs --milestones");
  parse_device_flag(c.device);
}

}  // namespace bcl::train
