// Copyright (c) the kvstore developers.
//
// Logging setup, log reopening and systemd notification; see service.h.

#include "service.h"

#include <spdlog/details/file_helper.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <vector>

namespace kvstore::server::service {
namespace {

// A file sink that can reopen its file: spdlog's basic_file_sink cannot.
class ReopenableFileSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  void Open(const std::string& path) { file_.open(path, /*truncate=*/false); }
  void Reopen() {
    std::lock_guard<std::mutex> lock(mutex_);
    file_.reopen(/*truncate=*/false);
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    file_.write(formatted);
  }
  void flush_() override { file_.flush(); }

 private:
  spdlog::details::file_helper file_;
};

// "<N>" at the start of a line tells the journal its syslog priority.
class JournalPriority final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    const char* p = SD_INFO;
    switch (msg.level) {
      case spdlog::level::trace:
      case spdlog::level::debug:
        p = SD_DEBUG;
        break;
      case spdlog::level::warn:
        p = SD_WARNING;
        break;
      case spdlog::level::err:
        p = SD_ERR;
        break;
      case spdlog::level::critical:
        p = SD_CRIT;
        break;
      default:
        break;
    }
    dest.append(p, p + std::char_traits<char>::length(p));
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JournalPriority>();
  }
};

// systemd sets JOURNAL_STREAM to "device:inode" of the journal stream it
// connects standard error to; it is ours when the numbers match.
bool StderrIsJournal() {
  const char* env = std::getenv("JOURNAL_STREAM");
  struct stat st;
  if (env == nullptr || fstat(2, &st) != 0) return false;
  unsigned long long dev = 0, ino = 0;
  if (std::sscanf(env, "%llu:%llu", &dev, &ino) != 2) return false;
  return dev == st.st_dev && ino == st.st_ino;
}

std::shared_ptr<ReopenableFileSink> g_file_sink;
std::shared_ptr<spdlog::logger> g_library_logger;

std::unique_ptr<spdlog::formatter> MakeFormatter(bool journal) {
  auto f = std::make_unique<spdlog::pattern_formatter>();
  if (journal) {
    f->add_flag<JournalPriority>('*').set_pattern("%*[%n] %v");
  } else {
    // The library's layout, so that one log reads as one.
    f->set_pattern("[%Y-%m-%d %H:%M:%S.%e] [%n] [%l] %v");
  }
  return f;
}

}  // namespace

bool SetUpLogging(const std::string& logfile, std::string* error) {
  spdlog::sink_ptr sink;
  bool journal = false;
  if (!logfile.empty()) {
    auto file = std::make_shared<ReopenableFileSink>();
    try {
      file->Open(logfile);
    } catch (const spdlog::spdlog_ex& e) {
      *error = "cannot open log file '" + logfile + "': " + e.what();
      return false;
    }
    g_file_sink = file;
    sink = file;
  } else {
    journal = StderrIsJournal();
    sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  }
  sink->set_formatter(MakeFormatter(journal));
  const auto level = spdlog::get_level();
  auto server = std::make_shared<spdlog::logger>("kvstore-server", sink);
  server->set_level(level);
  server->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(server);
  g_library_logger = std::make_shared<spdlog::logger>("kvstore", sink);
  g_library_logger->set_level(spdlog::level::trace);  // the store filters by its own level
  g_library_logger->flush_on(spdlog::level::trace);
  return true;
}

std::function<void(LogLevel, std::string_view)> LibraryLogSink() {
  std::shared_ptr<spdlog::logger> logger = g_library_logger;
  return [logger](LogLevel level, std::string_view message) {
    if (logger == nullptr || level == LogLevel::kOff) return;
    logger->log(static_cast<spdlog::level::level_enum>(static_cast<int>(level)), "{}", message);
  };
}

void ReopenLog() {
  if (g_file_sink == nullptr) return;
  try {
    g_file_sink->Reopen();
    spdlog::info("log file reopened (SIGHUP)");
  } catch (const spdlog::spdlog_ex& e) {
    // Keep running: losing log lines is better than losing the service.
    std::fprintf(stderr, "kvstore-server: cannot reopen the log file: %s\n", e.what());
  }
}

void NotifyReady(const std::string& status) {
  sd_notifyf(0, "READY=1\nSTATUS=%s\nMAINPID=%lu", status.c_str(),
             static_cast<unsigned long>(getpid()));
}

void NotifyStopping() { sd_notify(0, "STOPPING=1\nSTATUS=stopping: writing the final snapshot"); }

}  // namespace kvstore::server::service
