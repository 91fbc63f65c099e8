// Copyright (c) the kvstore developers.
//
// DurabilityBarrier; see durability.h.

#include "durability.h"

namespace kvstore::server {

Result<void> DurabilityBarrier::Wait() {
  const bool wait = pending();
  const uint64_t seq = highest_;
  highest_ = 0;
  if (!wait) return {};
  return store_->wait_durable(seq);
}

}  // namespace kvstore::server
