// Copyright (c) the kvstore developers.
//
// The library's logger: spdlog, delivering to Options::log_sink if one is
// given, else to standard error (a colour sink when it is a terminal), filtered at
// Options::log_level. Each store has its own logger object, so one store's
// level does not change another's.

#ifndef KVSTORE_SRC_LOG_H_
#define KVSTORE_SRC_LOG_H_

#include <spdlog/spdlog.h>

#include <memory>

#include "kvstore/kvstore.h"

namespace kvstore {

std::shared_ptr<spdlog::logger> MakeLogger(const Options& options);

}  // namespace kvstore

#endif  // KVSTORE_SRC_LOG_H_
