// Copyright (c) the kvstore developers.
//
// The keyspace tables' allocator (src/table_alloc.h): a large array freed by
// a table's doubling goes back to the kernel at once, a small one to the
// block allocator.

#include "table_alloc.h"

#include <absl/container/flat_hash_set.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <vector>

namespace kvstore {
namespace {

#ifndef KVSTORE_SYSTEM_MALLOC
// Whether the page holding p is mapped in this process.
bool Mapped(const void* p) {
  const auto page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  void* start = reinterpret_cast<void*>(reinterpret_cast<uintptr_t>(p) & ~(page - 1));
  unsigned char vec = 0;
  return mincore(start, page, &vec) == 0 || errno != ENOMEM;
}

TEST(TableAllocatorTest, LargeArrayIsUnmappedWhenFreed) {
  TableAllocator<char*> alloc;
  const std::size_t n = kTableMapBytes / sizeof(char*) * 4;
  char** a = alloc.allocate(n);
  ASSERT_NE(a, nullptr);
  for (std::size_t i = 0; i < n; ++i) a[i] = nullptr;  // writable
  EXPECT_TRUE(Mapped(a));
  EXPECT_TRUE(Mapped(a + n - 1));
  alloc.deallocate(a, n);
  // With the block allocator the pages would stay mapped (and resident).
  EXPECT_FALSE(Mapped(a));
  EXPECT_FALSE(Mapped(a + n - 1));
}

TEST(TableAllocatorTest, SmallArrayComesFromTheBlockAllocator) {
  TableAllocator<char*> alloc;
  const std::size_t n = 64;
  char** a = alloc.allocate(n);
  a[n - 1] = nullptr;
  EXPECT_GE(mi_usable_size(a), n * sizeof(char*));  // mimalloc knows the block
  alloc.deallocate(a, n);
}

TEST(TableAllocatorTest, TableGrowingPastTheThresholdKeepsItsContent) {
  absl::flat_hash_set<uint64_t, absl::Hash<uint64_t>, std::equal_to<>, TableAllocator<uint64_t>> s;
  for (uint64_t i = 0; i < 200000; ++i) s.insert(i * 7919);
  ASSERT_EQ(s.size(), 200000u);
  for (uint64_t i = 0; i < 200000; ++i) ASSERT_TRUE(s.contains(i * 7919)) << i;
  for (uint64_t i = 0; i < 200000; i += 2) s.erase(i * 7919);
  s.rehash(0);  // shrinks: the large array goes back
  EXPECT_EQ(s.size(), 100000u);
  for (uint64_t i = 1; i < 200000; i += 2) ASSERT_TRUE(s.contains(i * 7919)) << i;
}
#else
TEST(TableAllocatorTest, SanitizerBuildsUseTheSystemAllocator) {
  GTEST_SKIP() << "KVSTORE_SYSTEM_MALLOC: tables use std::allocator";
}
#endif

}  // namespace
}  // namespace kvstore
