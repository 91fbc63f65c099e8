// Copyright (c) the kvstore developers.
//
// What kvstore-server needs to run as a system service: where its log goes
// (standard error, which under systemd is the journal, or --logfile, reopened
// on SIGHUP so that logrotate can move it), and telling systemd when it is
// ready and when it is stopping (sd_notify, for Type=notify units). Outside
// systemd the notifications do nothing.

#ifndef KVSTORE_SERVER_SERVICE_H_
#define KVSTORE_SERVER_SERVICE_H_

#include <functional>
#include <string>
#include <string_view>

#include "kvstore/kvstore.h"

namespace kvstore::server::service {

// Makes spdlog's default logger (named kvstore-server) write to `logfile`
// (appended to, created if missing) or, when it is empty, to standard error.
// Lines carry a timestamp, except on the journal, which stamps them itself
// and instead gets each line's priority. Returns false with *error when the
// file cannot be opened.
bool SetUpLogging(const std::string& logfile, std::string* error);

// Options::log_sink for the store: the library's messages go to the same
// place as the server's, under the name "kvstore".
std::function<void(LogLevel, std::string_view)> LibraryLogSink();

// Closes and reopens the log file (after logrotate renamed it). Does nothing
// when logging to standard error.
void ReopenLog();

// sd_notify(READY=1) with a status line, once the server accepts clients.
void NotifyReady(const std::string& status);

// sd_notify(STOPPING=1): the stop sequence (final snapshot included) began.
void NotifyStopping();

}  // namespace kvstore::server::service

#endif  // KVSTORE_SERVER_SERVICE_H_
