#include "tests/tensor/cuda_test_util.h"

#include <cmath>
#include <cstdlib>
#include <fstream>

namespace bcl::test {
namespace {

// Writes the table at exit, if asked to.
struct ErrorTableWriter {
  std::map<std::string, CudaErrorRecord> table;
  ~ErrorTableWriter() {
    const char* path = std::getenv("BCL_CUDA_ERRORS_JSON");
    if (path == nullptr || table.empty()) return;
    std::ofstream out(path);
    out << "{\n";
    bool first = true;
    for (const auto& [op, r] : table) {
      out << (first ? "" : ",\n") << "  \"" << op << "\": {\"max_abs_error\": " << r.max_abs
          << ", \"worst_ratio_to_tolerance\": " << r.worst_ratio << ", \"atol\": " << r.atol
          << ", \"rtol\": " << r.rtol << ", \"comparisons\": " << r.comparisons << "}";
      first = false;
    }
    out << "\n}\n";
  }
};

ErrorTableWriter& writer() {
  static ErrorTableWriter w;
  return w;
}

}  // namespace

std::map<std::string, CudaErrorRecord>& cuda_error_table() {
  return writer().table;
}

void check_cuda_matches(const std::string& op, const Tensor& gpu, const Tensor& cpu, double atol,
                        double rtol) {
  CAPTURE(op);
  CHECK(gpu.device() == Device::CUDA);
  CHECK(gpu.dtype() == cpu.dtype());
  const Tensor back = to_cpu(gpu);
  const double ratio = closeness(back, cpu, atol, rtol);
  double max_abs = 0;
  const std::vector<double> g = back.to_vector(), c = cpu.to_vector();
  for (size_t i = 0; i < g.size(); ++i) {
    const double d = std::fabs(g[i] - c[i]);
    if (!(d <= max_abs)) max_abs = d;  // NaN sticks
  }
  CudaErrorRecord& r = cuda_error_table()[op];
  if (!(ratio <= r.worst_ratio)) r.worst_ratio = ratio;
  if (!(max_abs <= r.max_abs)) r.max_abs = max_abs;
  r.atol = atol;
  r.rtol = rtol;
  ++r.comparisons;
  CHECK_MESSAGE(ratio <= 1.0, op, ": CUDA differs from CPU by up to ", max_abs, " (tolerance atol ",
                atol, " + rtol ", rtol, " * |cpu|)");
}

}  // namespace bcl::test
