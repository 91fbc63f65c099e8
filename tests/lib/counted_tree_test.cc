// Copyright (c) the kvstore developers.
//
// CountedTree (src/counted_tree.h): a randomized comparison against a sorted
// std::vector (inserts, hinted appends, erases, lower_bound, find, rank, at,
// iteration both ways) at chunk sizes that split and merge chunks many times,
// heterogeneous lookups, and the step count of rank() and at(), which stays
// logarithmic where a walk over the entries would not.

#include "counted_tree.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <random>
#include <vector>

namespace kvstore {
namespace {

// An entry with a payload, ordered by key alone.
struct Item {
  std::int64_t key;
  std::int64_t payload;
};
// A boundary probe: before every entry with a key >= at.
struct KeyAtLeast {
  std::int64_t at;
};
struct ItemLess {
  using is_transparent = void;
  bool operator()(const Item& a, const Item& b) const { return a.key < b.key; }
  bool operator()(const Item& a, const KeyAtLeast& p) const { return a.key < p.at; }
  bool operator()(const KeyAtLeast& p, const Item& a) const { return p.at <= a.key; }
};

template <typename Tree>
void ExpectSame(const Tree& tree, const std::vector<std::int64_t>& model) {
  ASSERT_EQ(tree.size(), model.size());
  ASSERT_EQ(tree.empty(), model.empty());
  std::size_t i = 0;
  for (auto it = tree.begin(); it != tree.end(); ++it, ++i) {
    ASSERT_EQ(it->key, model[i]);
    ASSERT_EQ(it->payload, model[i] * 3);
    ASSERT_EQ(tree.rank(it), i);
  }
  ASSERT_EQ(i, model.size());
  ASSERT_EQ(tree.rank(tree.end()), model.size());
  i = model.size();
  for (auto it = tree.rbegin(); it != tree.rend(); ++it) ASSERT_EQ(it->key, model[--i]);
  ASSERT_EQ(i, 0u);
}

template <std::size_t kChunk>
void RandomOps(std::uint32_t seed) {
  SCOPED_TRACE(testing::Message() << "chunk " << kChunk << " seed " << seed);
  CountedTree<Item, ItemLess, std::allocator<Item>, kChunk> tree;
  std::vector<std::int64_t> model;  // sorted, distinct
  std::mt19937_64 rng(seed);
  constexpr int kOps = 100000;
  constexpr std::int64_t kKeys = 20000;
  std::int64_t next_append = kKeys;
  for (int op = 0; op < kOps; ++op) {
    // Phases: grow, shrink, then mixed, so sizes cross many splits and merges
    // both ways.
    const int phase = (op / 10000) % 3;
    const int grow = phase == 0 ? 70 : phase == 1 ? 25 : 50;
    const int r = static_cast<int>(rng() % 100);
    if (r < grow) {
      if (rng() % 4 == 0) {
        // An append after every entry, with the end() hint.
        const Item v{next_append++, 0};
        const auto it = tree.insert(tree.end(), Item{v.key, v.key * 3});
        ASSERT_EQ(it->key, v.key);
        model.push_back(v.key);
        ASSERT_EQ(tree.rank(it), model.size() - 1);
      } else {
        const std::int64_t k = static_cast<std::int64_t>(rng() % kKeys);
        auto pos = std::lower_bound(model.begin(), model.end(), k);
        const bool fresh = pos == model.end() || *pos != k;
        // Half with a hint, which is only a hint.
        if (rng() % 2 == 0) {
          const auto [it, inserted] = tree.insert(Item{k, k * 3});
          ASSERT_EQ(inserted, fresh);
          ASSERT_EQ(it->key, k);
          ASSERT_EQ(tree.rank(it), static_cast<std::size_t>(pos - model.begin()));
        } else {
          const auto it = tree.insert(tree.end(), Item{k, k * 3});
          ASSERT_EQ(it->key, k);
        }
        if (fresh) model.insert(pos, k);
      }
    } else if (r < 90) {
      if (model.empty()) continue;
      // Erase by position (at) or by key (find).
      const std::size_t i = rng() % model.size();
      if (rng() % 2 == 0) {
        tree.erase(tree.at(i));
      } else {
        const auto it = tree.find(Item{model[i], 0});
        ASSERT_NE(it, tree.end());
        tree.erase(it);
      }
      model.erase(model.begin() + static_cast<std::ptrdiff_t>(i));
    } else {
      // Lookups: lower_bound by entry and by probe, find of an absent key,
      // at() of a random rank, and a short walk both ways from there.
      const std::int64_t k = static_cast<std::int64_t>(rng() % (next_append + 1));
      const auto pos = std::lower_bound(model.begin(), model.end(), k);
      const std::size_t want = static_cast<std::size_t>(pos - model.begin());
      const auto lb = tree.lower_bound(KeyAtLeast{k});
      ASSERT_EQ(tree.rank(lb), want);
      ASSERT_EQ(tree.lower_bound(Item{k, 0}), lb);
      if (pos == model.end()) {
        ASSERT_EQ(lb, tree.end());
      } else {
        ASSERT_EQ(lb->key, *pos);
      }
      const bool present = pos != model.end() && *pos == k;
      ASSERT_EQ(tree.find(Item{k, 0}) != tree.end(), present);
      if (model.empty()) continue;
      const std::size_t i = rng() % model.size();
      auto it = tree.at(i);
      ASSERT_EQ(it->key, model[i]);
      auto down = it;
      for (std::size_t j = i; j < std::min(model.size(), i + 300); ++j, ++it) {
        ASSERT_EQ(it->key, model[j]);
      }
      for (std::size_t j = i + 1; j-- > (i >= 300 ? i - 300 : 0);) {
        ASSERT_EQ(down->key, model[j]);
        if (j > 0) --down;
      }
    }
    if (op % 5000 == 0) ExpectSame(tree, model);
  }
  ExpectSame(tree, model);
  // Down to nothing and up again.
  while (!model.empty()) {
    const std::size_t i = rng() % model.size();
    tree.erase(tree.at(i));
    model.erase(model.begin() + static_cast<std::ptrdiff_t>(i));
  }
  ExpectSame(tree, model);
  EXPECT_EQ(tree.begin(), tree.end());
  for (std::int64_t k = 0; k < 1000; ++k) tree.insert(tree.end(), Item{k, k * 3});
  model.resize(1000);
  for (std::int64_t k = 0; k < 1000; ++k) model[static_cast<std::size_t>(k)] = k;
  ExpectSame(tree, model);
}

TEST(CountedTreeTest, MatchesSortedVectorWithSmallChunks) {
  RandomOps<4>(1);
  RandomOps<8>(2);
  RandomOps<16>(3);
}

TEST(CountedTreeTest, MatchesSortedVectorWithDefaultChunks) { RandomOps<256>(4); }

// The Fenwick nodes and chunk boundaries that rank() and at() touch, at a
// size of a million entries in 256-entry chunks (about 4000 chunks): a few
// dozen, where counting the chunks before an entry would touch thousands.
TEST(CountedTreeTest, RankAndAtAreLogarithmic) {
  CountedTree<Item, ItemLess> tree;
  constexpr std::int64_t kN = 1000000;
  std::mt19937_64 rng(5);
  // Random order, so chunks split in the middle as well as append.
  std::vector<std::int64_t> keys(kN);
  for (std::int64_t i = 0; i < kN; ++i) keys[static_cast<std::size_t>(i)] = i;
  std::shuffle(keys.begin(), keys.end(), rng);
  for (std::int64_t k : keys) tree.insert(Item{k, k * 3});
  ASSERT_EQ(tree.size(), static_cast<std::size_t>(kN));
  // The chunks count log2(m) + 1 levels: 13 for 4000 to 8000 chunks.
  const std::size_t bound = 2 * static_cast<std::size_t>(std::log2(kN)) + 2;
  for (int i = 0; i < 200; ++i) {
    const std::int64_t k = static_cast<std::int64_t>(rng() % kN);
    const auto it = tree.find(Item{k, 0});
    ASSERT_NE(it, tree.end());
    std::size_t& steps = CountedTreeStepsForTest();
    steps = 0;
    ASSERT_EQ(tree.rank(it), static_cast<std::size_t>(k));
    EXPECT_LE(steps, bound);
    steps = 0;
    ASSERT_EQ(tree.at(static_cast<std::size_t>(k))->key, k);
    EXPECT_LE(steps, bound);
  }
  // The hook does see a walk: std::distance crosses every chunk boundary.
  std::size_t& steps = CountedTreeStepsForTest();
  steps = 0;
  EXPECT_EQ(static_cast<std::size_t>(std::distance(tree.begin(), tree.at(kN - 1))), kN - 1);
  EXPECT_GT(steps, static_cast<std::size_t>(kN) / 256);
}

// Entries arriving in order fill chunks completely; random inserts, which
// move entries to a neighbour before splitting, leave them about 80 % full
// (splits alone would leave about 70 %, as a B-tree's nodes).
TEST(CountedTreeTest, ChunkFill) {
  constexpr std::size_t kN = 200000;
  CountedTree<Item, ItemLess> appended;
  for (std::size_t k = 0; k < kN; ++k) {
    appended.insert(appended.end(), Item{static_cast<std::int64_t>(k), 0});
  }
  // Within one chunk plus the chunk vector and Fenwick tree of the full size.
  EXPECT_LE(appended.allocated_bytes(), (kN + 256) * sizeof(Item) + kN / 256 * 64);

  CountedTree<Item, ItemLess> random;
  std::mt19937_64 rng(6);
  for (std::size_t i = 0; i < kN; ++i) {
    random.insert(Item{static_cast<std::int64_t>(rng() >> 1), 0});
  }
  const double per_entry =
      static_cast<double>(random.allocated_bytes()) / static_cast<double>(random.size());
  EXPECT_GT(per_entry, 16.0);
  EXPECT_LT(per_entry, 16.0 / 0.75);
}

}  // namespace
}  // namespace kvstore
