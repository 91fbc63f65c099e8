// Copyright (c) the kvstore developers.
//
// Filling the public Histogram (kvstore.h) that stats() reports: fixed
// bucket bounds, one count per observation. Callers guard it themselves.

#ifndef KVSTORE_SRC_HISTOGRAM_H_
#define KVSTORE_SRC_HISTOGRAM_H_

#include <vector>

#include "kvstore/kvstore.h"

namespace kvstore {

inline Histogram MakeHistogram(const std::vector<double>& bounds) {
  Histogram h;
  h.bounds = bounds;
  h.counts.assign(bounds.size() + 1, 0);
  return h;
}

inline void Observe(Histogram* h, double v) {
  std::size_t i = 0;
  while (i < h->bounds.size() && v > h->bounds[i]) ++i;
  ++h->counts[i];
  ++h->count;
  h->sum += v;
}

}  // namespace kvstore

#endif  // KVSTORE_SRC_HISTOGRAM_H_
