#include "tensor/dispatch.h"

namespace bcl {
namespace {

std::vector<const DispatchTableBase*>& registry() {
  static std::vector<const DispatchTableBase*> tables;
  return tables;
}

Isa detect_host_isa() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  const bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
  if (avx512 && __builtin_cpu_supports("avx512bf16")) return Isa::AVX512_BF16;
  if (avx512) return Isa::AVX512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return Isa::AVX2;
#endif
  return Isa::Generic;
}

Isa& isa_limit() {
  static Isa limit = host_isa();
  return limit;
}

}  // namespace

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::Generic:
      return "generic";
    case Isa::AVX2:
      return "avx2";
    case Isa::AVX512:
      return "avx512";
    case Isa::AVX512_BF16:
      return "avx512_bf16";
  }
  return "?";
}

Isa host_isa() {
  static const Isa isa = detect_host_isa();
  return isa;
}

Isa active_isa() {
  return isa_limit();
}

ScopedIsaLimit::ScopedIsaLimit(Isa limit) : previous_(isa_limit()) {
  isa_limit() = static_cast<int>(limit) < static_cast<int>(previous_) ? limit : previous_;
}
ScopedIsaLimit::~ScopedIsaLimit() {
  isa_limit() = previous_;
}

DispatchTableBase::DispatchTableBase(const char* op) : op_(op) {
  registry().push_back(this);
}

const std::vector<const DispatchTableBase*>& dispatch_tables() {
  return registry();
}

}  // namespace bcl
