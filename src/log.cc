// Copyright (c) the kvstore developers.

#include "log.h"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include <cstdlib>
#include <mutex>
#include <string>

namespace kvstore {
namespace {

spdlog::level::level_enum ToSpdlog(LogLevel l) {
  switch (l) {
    case LogLevel::kTrace:
      return spdlog::level::trace;
    case LogLevel::kDebug:
      return spdlog::level::debug;
    case LogLevel::kInfo:
      return spdlog::level::info;
    case LogLevel::kWarn:
      return spdlog::level::warn;
    case LogLevel::kError:
      return spdlog::level::err;
    case LogLevel::kCritical:
      return spdlog::level::critical;
    case LogLevel::kOff:
      break;
  }
  return spdlog::level::off;
}

LogLevel FromSpdlog(spdlog::level::level_enum l) {
  switch (l) {
    case spdlog::level::trace:
      return LogLevel::kTrace;
    case spdlog::level::debug:
      return LogLevel::kDebug;
    case spdlog::level::info:
      return LogLevel::kInfo;
    case spdlog::level::warn:
      return LogLevel::kWarn;
    case spdlog::level::err:
      return LogLevel::kError;
    case spdlog::level::critical:
      return LogLevel::kCritical;
    default:
      return LogLevel::kOff;
  }
}

// Hands the bare message (no timestamp or level prefix: the callback gets
// the level separately and formats as it likes) to the user's function.
class CallbackSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit CallbackSink(std::function<void(LogLevel, std::string_view)> fn) : fn_(std::move(fn)) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    fn_(FromSpdlog(msg.level), std::string_view(msg.payload.data(), msg.payload.size()));
  }
  void flush_() override {}

 private:
  std::function<void(LogLevel, std::string_view)> fn_;
};

LogLevel DefaultLevel() {
  const char* env = std::getenv("KVSTORE_LOG_LEVEL");
  if (env == nullptr) return LogLevel::kInfo;
  const std::string v(env);
  if (v == "trace") return LogLevel::kTrace;
  if (v == "debug") return LogLevel::kDebug;
  if (v == "warn" || v == "warning") return LogLevel::kWarn;
  if (v == "error") return LogLevel::kError;
  if (v == "critical") return LogLevel::kCritical;
  if (v == "off") return LogLevel::kOff;
  return LogLevel::kInfo;
}

}  // namespace

std::shared_ptr<spdlog::logger> MakeLogger(const Options& options) {
  std::shared_ptr<spdlog::logger> logger;
  if (options.log_sink) {
    logger = std::make_shared<spdlog::logger>("kvstore",
                                              std::make_shared<CallbackSink>(options.log_sink));
  } else {
    // stderr, never stdout: stdout belongs to the program (a CLI's output).
    static const auto stderr_sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    logger = std::make_shared<spdlog::logger>("kvstore", stderr_sink);
  }
  logger->set_level(ToSpdlog(options.log_level.value_or(DefaultLevel())));
  logger->flush_on(spdlog::level::warn);
  return logger;
}

}  // namespace kvstore
