// bcl-loss: one loss and its gradients for tensors in a safetensors file, a calculator for
// students and for checking another framework's implementation against this one.
//
//   build/bcl-loss --method ce|bs|scl|bcl --in IN.safetensors --out OUT.safetensors
//                  [--temperature 0.1] [--la-tau 1]
//
// The tensors each loss reads from IN (features and prototypes are used as given: L2-normalise
// them first, as a model does):
//   ce      logits [N, C], labels [N] int64                   cross_entropy
//   bs      logits, labels, class_counts [C] (int64 or whole   logit_adjusted_cross_entropy with
//           floats)                                           log_prior(class_counts, tau)
//   scl     features [N, V, D], labels                        supcon_loss
//   bcl     features [N, 2, D], labels, prototypes [C, D]     bcl_loss
// OUT receives `loss` (a scalar) and `grad.<name>` for each floating-point input (logits,
// features, prototypes), in the inputs' dtype: float64 inputs give a float64 computation.
#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "autograd/ops.h"
#include "losses/bcl.h"
#include "losses/logit_adjusted_ce.h"
#include "losses/supcon.h"
#include "tensor/safetensors.h"
#include "train/flags.h"

using namespace bcl;

namespace {

struct Inputs {
  std::string path, loss;
  SafetensorsFile file;

  // The tensor `name`, which --loss needs; throws naming the file when it is absent.
  Tensor get(const std::string& name, const std::string& needs) const {
    auto it = file.tensors.find(name);
    BCL_CHECK(it != file.tensors.end(), path, " has no tensor '", name, "' (--loss ", loss,
              " needs ", needs, ")");
    return it->second;
  }
};

// Whole, positive counts as int64, from an int64 or floating-point [C] tensor.
std::vector<int64_t> counts_of(const Tensor& t, int64_t classes, const std::string& path) {
  BCL_CHECK(t.shape() == Shape{classes}, path, ": tensor 'class_counts' must have shape [", classes,
            "] (one per class of 'logits'), got ", shape_str(t.shape()));
  std::vector<int64_t> counts;
  const std::vector<double> v = t.to_vector();
  for (size_t c = 0; c < v.size(); ++c) {
    BCL_CHECK(v[c] == std::floor(v[c]) && v[c] > 0, path, ": class_counts[", c, "] = ", v[c],
              " is not a positive whole number");
    counts.push_back(static_cast<int64_t>(v[c]));
  }
  return counts;
}

// A float32 or float64 input with a given number of dims, marked for its gradient. (bfloat16
// holds convolution operands only: the losses have no bf16 kernels.)
Tensor differentiable(const Inputs& in, const std::string& name, int64_t dims,
                      const std::string& layout, const std::string& needs) {
  Tensor t = in.get(name, needs);
  BCL_CHECK(t.dim() == dims && (t.dtype() == DType::Float32 || t.dtype() == DType::Float64),
            in.path, ": tensor '", name, "' must be float32 or float64 ", layout, ", got ",
            dtype_name(t.dtype()), " ", shape_str(t.shape()));
  return t.set_requires_grad(true);
}

int run(const std::string& loss_name, const std::string& in_path, const std::string& out_path,
        double temperature, double tau) {
  Inputs in{in_path, loss_name, load_safetensors(in_path)};
  std::map<std::string, Tensor> params;
  Tensor loss;
  try {
    if (loss_name == "ce" || loss_name == "bs") {
      const std::string needs =
          loss_name == "ce" ? "logits, labels" : "logits, labels, class_counts";
      const Tensor logits = differentiable(in, "logits", 2, "[N, C]", needs);
      const Tensor labels = in.get("labels", needs);
      params["logits"] = logits;
      if (loss_name == "ce") {
        loss = cross_entropy(logits, labels);
      } else {
        const std::vector<int64_t> counts =
            counts_of(in.get("class_counts", needs), logits.size(1), in_path);
        loss = losses::logit_adjusted_cross_entropy(logits, labels,
                                                    losses::log_prior(counts, tau, logits.dtype()));
      }
    } else if (loss_name == "scl" || loss_name == "supcon") {
      const std::string needs = "features, labels";
      params["features"] = differentiable(in, "features", 3, "[N, V, D]", needs);
      loss = losses::supcon_loss(params["features"], in.get("labels", needs), temperature);
    } else {
      const std::string needs = "features, labels, prototypes";
      params["features"] = differentiable(in, "features", 3, "[N, 2, D]", needs);
      params["prototypes"] = differentiable(in, "prototypes", 2, "[C, D]", needs);
      loss = losses::bcl_loss(params["features"], in.get("labels", needs), params["prototypes"],
                              temperature);
    }
  } catch (const Error& e) {
    // The library names the argument; add the file it came from.
    throw Error(in_path + ": " + e.what());
  }
  backward(loss);

  std::map<std::string, Tensor> out = {{"loss", detach(loss)}};
  for (const auto& [name, t] : params) out["grad." + name] = t.grad();
  save_safetensors(out_path, out,
                   {{"loss", loss_name},
                    {"temperature", std::to_string(temperature)},
                    {"tau", std::to_string(tau)},
                    {"input", in_path}});
  std::printf("bcl-loss: %s = %.17g (%s) -> %s\n", loss_name.c_str(), loss.item(),
              dtype_name(loss.dtype()), out_path.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"bcl-loss: a loss and its gradients for the tensors in a safetensors file"};
  std::string loss, in, out;
  double temperature = 0.1, tau = 1.0;
  // The methods of bcl-train; "supcon" is scl's old name here.
  app.add_option("--method", loss,
                 "ce (cross-entropy), bs (balanced softmax), scl (supervised contrastive), "
                 "bcl (balanced contrastive)")
      ->required()
      ->check(CLI::IsMember({"ce", "bs", "scl", "bcl", "supcon"}));
  train::add_old_spelling(app, "--loss", loss, "--method");
  app.add_option("--in", in, "input tensors (.safetensors)")->required()->check(CLI::ExistingFile);
  app.add_option("--out", out, "output: loss and grad.<input> (.safetensors)")->required();
  app.add_option("--temperature", temperature, "supcon and bcl temperature")
      ->check(CLI::PositiveNumber);
  app.add_option("--la-tau", tau, "bs: the logit-adjustment tau (1 = balanced softmax)");
  train::add_old_spelling(app, "--tau", tau, "--la-tau");
  CLI11_PARSE(app, argc, argv);
  try {
    return run(loss, in, out, temperature, tau);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bcl-loss: error: %s\n", e.what());
    return 1;
  }
}
