// Copyright (c) the kvstore developers.
//
// Random choices for the commands that pick elements at random (HRANDFIELD,
// SRANDMEMBER, SPOP, ZRANDMEMBER): a per-thread generator, so that handlers
// on different I/O loops never share one. The choices need not be
// reproducible: a command with a random effect logs the op it chose
// (types.h), not the choice.

#ifndef KVSTORE_SERVER_RANDOM_PICK_H_
#define KVSTORE_SERVER_RANDOM_PICK_H_

#include <cstddef>
#include <vector>

namespace kvstore::server {

// A uniformly chosen index in [0, n). REQUIRES: n > 0.
std::size_t RandomIndex(std::size_t n);

// k distinct indexes in [0, n), uniformly chosen, in random order.
// REQUIRES: k <= n. Takes O(k) expected time and space when k is small
// against n, O(n) otherwise.
std::vector<std::size_t> RandomDistinctIndexes(std::size_t n, std::size_t k);

}  // namespace kvstore::server

#endif  // KVSTORE_SERVER_RANDOM_PICK_H_
