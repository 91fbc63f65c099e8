// Copyright (c) the kvstore developers.
//
// random_pick.h: a thread-local 64-bit Mersenne Twister seeded from
// std::random_device; distinct picks by a partial Fisher-Yates shuffle when
// k is a large part of n, by rejection of repeats otherwise.

#include "random_pick.h"

#include <numeric>
#include <random>
#include <unordered_set>

namespace kvstore::server {

namespace {

std::mt19937_64& Generator() {
  thread_local std::mt19937_64 gen{std::random_device{}()};
  return gen;
}

}  // namespace

std::size_t RandomIndex(std::size_t n) {
  return std::uniform_int_distribution<std::size_t>(0, n - 1)(Generator());
}

std::vector<std::size_t> RandomDistinctIndexes(std::size_t n, std::size_t k) {
  std::vector<std::size_t> out;
  if (k == 0) return out;
  out.reserve(k);
  if (k * 4 < n) {
    // Few of many: a repeat is rare, so redrawing costs little.
    std::unordered_set<std::size_t> seen;
    seen.reserve(k * 2);
    while (out.size() < k) {
      const std::size_t i = RandomIndex(n);
      if (seen.insert(i).second) out.push_back(i);
    }
    return out;
  }
  std::vector<std::size_t> all(n);
  std::iota(all.begin(), all.end(), std::size_t{0});
  for (std::size_t j = 0; j < k; ++j) {
    const std::size_t pick = j + RandomIndex(n - j);
    std::swap(all[j], all[pick]);
    out.push_back(all[j]);
  }
  return out;
}

}  // namespace kvstore::server
