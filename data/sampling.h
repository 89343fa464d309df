// Seeded randomness for the data pipeline: derived seeds, bounded integers and shuffles.
//
// Every random decision about a sample (its augmentation, its place in an epoch's order) comes from
// a Generator whose seed is derived from (seed, epoch, sample index, view). The result is a pure
// function of those numbers, never of which worker thread handled the sample or when.
#pragma once

#include <cstdint>
#include <vector>

#include "tensor/random.h"

namespace bcl::data {

// A new seed from a base seed and three coordinates: one Philox evaluation with the base seed as
// key and (index, stream, view) as counter, so distinct coordinates give unrelated streams.
uint64_t derive_seed(uint64_t seed, uint64_t index, uint32_t stream, uint32_t view = 0);

// Uniform integer in [0, n), n >= 1, without modulo bias (rejection sampling on 64 bits).
uint64_t random_below(Generator& gen, uint64_t n);

// Fisher-Yates shuffle of v.
void shuffle(std::vector<int64_t>& v, Generator& gen);

// 0, 1, ..., n - 1 in a random order.
std::vector<int64_t> random_permutation(int64_t n, Generator& gen);

}  // namespace bcl::data
