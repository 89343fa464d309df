#include <omp.h>

#include <cmath>

#include "tensor/random.h"
#include "tests/test_util.h"

using namespace bcl;

TEST_CASE("random/philox_known_answers") {
  // Random123's published known-answer vectors for Philox4x32-10 (its tests/kat_vectors).
  using W4 = std::array<uint32_t, 4>;
  CHECK(philox4x32_10({0, 0, 0, 0}, {0, 0}) == W4{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8});
  CHECK(philox4x32_10({0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, {0xffffffff, 0xffffffff}) ==
        W4{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd});
  CHECK(philox4x32_10({0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, {0xa4093822, 0x299f31d0}) ==
        W4{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1});
}

TEST_CASE("random/same_numbers_on_any_thread_count") {
  const int saved = omp_get_max_threads();
  std::vector<double> reference;
  for (int threads : {1, 2, 3}) {
    omp_set_num_threads(threads);
    Tensor t = empty({300001}, DType::Float32);  // large enough to run in parallel
    Generator gen(42);
    raw::normal_(t, 0, 1, gen);
    if (reference.empty())
      reference = t.to_vector();
    else
      CHECK(t.to_vector() == reference);
  }
  omp_set_num_threads(saved);
}

TEST_CASE("random/seed_and_offset_determine_the_stream") {
  Generator a(7), b(7), c(8);
  Tensor x = empty({100}), y = empty({100}), z = empty({100});
  raw::uniform_(x, 0, 1, a);
  raw::uniform_(y, 0, 1, b);
  raw::uniform_(z, 0, 1, c);
  CHECK(x.to_vector() == y.to_vector());
  CHECK(x.to_vector() != z.to_vector());
  // A second fill continues the stream instead of repeating it.
  raw::uniform_(y, 0, 1, b);
  CHECK(x.to_vector() != y.to_vector());
  CHECK(b.offset() == 50);  // two fills of 100 float32 uniforms, 4 per 128-bit block
}

TEST_CASE("random/distribution_moments") {
  // n = 200000 samples: the standard error of the mean is 1/sqrt(n) ~ 0.0022 for N(0,1), so the
  // bounds below (~5 standard errors) fail only if the generator is wrong.
  const int64_t n = 200000;
  for (DType dt : {DType::Float32, DType::Float64}) {
    Generator gen(3);
    Tensor u = empty({n}, dt), z = empty({n}, dt);
    raw::uniform_(u, -1, 3, gen);
    raw::normal_(z, 2, 0.5, gen);
    double su = 0, sz = 0, szz = 0, umin = 1e9, umax = -1e9;
    for (double v : u.to_vector()) {
      su += v;
      umin = std::min(umin, v);
      umax = std::max(umax, v);
    }
    for (double v : z.to_vector()) {
      sz += v;
      szz += v * v;
    }
    const double mz = sz / n;
    CHECK(su / n == doctest::Approx(1.0).epsilon(0.01));  // uniform(-1, 3) has mean 1
    CHECK(umin >= -1.0);
    CHECK(umax < 3.0);
    CHECK(mz == doctest::Approx(2.0).epsilon(0.003));
    CHECK(std::sqrt(szz / n - mz * mz) == doctest::Approx(0.5).epsilon(0.01));
  }
}

TEST_CASE("random/kaiming_normal_std") {
  Generator gen(5);
  Tensor w = empty({64, 32, 3, 3});
  raw::kaiming_normal_(w, gen);  // fan_in = 32 * 9
  double s = 0, ss = 0;
  for (double v : w.to_vector()) {
    s += v;
    ss += v * v;
  }
  const double n = static_cast<double>(w.numel());
  CHECK(std::sqrt(ss / n - (s / n) * (s / n)) ==
        doctest::Approx(std::sqrt(2.0 / 288)).epsilon(0.03));
  Tensor w2 = empty({64, 32, 3, 3});
  raw::kaiming_normal_(w2, gen, raw::FanMode::FanOut);  // fan_out = 64 * 9
  ss = 0;
  for (double v : w2.to_vector()) ss += v * v;
  CHECK(std::sqrt(ss / n) == doctest::Approx(std::sqrt(2.0 / 576)).epsilon(0.03));
  Tensor b = empty({10});
  CHECK_THROWS_WITH_AS(raw::kaiming_normal_(b, gen), doctest::Contains("kaiming_normal_"), Error);
}

TEST_CASE("random/generator_draws") {
  Generator g(11);
  double s = 0;
  for (int i = 0; i < 10000; ++i) {
    double u = g.next_uniform();
    CHECK((u >= 0 && u < 1));
    s += u;
  }
  CHECK(s / 10000 == doctest::Approx(0.5).epsilon(0.03));
}
