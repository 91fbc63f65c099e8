// Copyright (c) the kvstore developers.
//
// Ordered parallel production: worker threads produce text for numbered
// units (a snapshot's shards) and the calling thread consumes it in unit
// order, each unit's chunks in the order they were made. Units are claimed in
// increasing order, so the unit being consumed is always claimed already.
// Memory stays bounded: a worker whose unit is not the one being consumed (or
// whose own chunks wait unconsumed) waits while more than max_buffered bytes
// of chunks are queued.

#ifndef KVSTORE_SRC_ORDERED_CHUNKS_H_
#define KVSTORE_SRC_ORDERED_CHUNKS_H_

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "kvstore/result.h"

namespace kvstore {

// Hands one chunk of a unit's output on. false: the run is failing, stop.
using EmitChunk = std::function<bool(std::string&& chunk)>;
// Makes unit's output through emit. worker (0 to workers - 1) names the
// calling thread, for per-thread scratch state. An error fails the run.
using ProduceUnit =
    std::function<Result<void>(std::size_t worker, std::size_t unit, const EmitChunk& emit)>;
// Takes one chunk, in unit order. An error fails the run.
using ConsumeChunk = std::function<Result<void>(std::size_t unit, std::string_view chunk)>;

// Runs produce for units 0 to units - 1 on `workers` threads (on the calling
// thread alone when workers <= 1) and consume on the calling thread. Returns
// the first error either reported; after one, no more units start, the
// running ones are told to stop, and every thread is joined before return.
Result<void> RunOrdered(std::size_t units, std::size_t workers, std::size_t max_buffered,
                        const ProduceUnit& produce, const ConsumeChunk& consume);

}  // namespace kvstore

#endif  // KVSTORE_SRC_ORDERED_CHUNKS_H_
