// A file for Isa::AVX512 alone (the Makefile's *_avx512.cpp rule), which test_dispatch.cpp calls
// only where host_isa() has the set: that the rule gives the file its flags and passes its nm
// check, and that such code runs. It follows the rule: nothing but intrinsics from headers, no
// weak symbols, no registration.
#ifdef __AVX512F__

#include <immintrin.h>

namespace bcl::test {

// 2 * (x[0] + ... + x[15]), the doubling in one 512-bit register.
int avx512_probe(const int* x) {
  const __m512i v = _mm512_loadu_si512(x);
  alignas(64) int lanes[16];
  _mm512_store_si512(lanes, _mm512_add_epi32(v, v));
  int sum = 0;
  for (int lane : lanes) sum += lane;
  return sum;
}

}  // namespace bcl::test

#endif
