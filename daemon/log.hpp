// A small leveled logger: one line per message on stderr, `LEVEL: message` (e.g. `info: ready`).
// Operators and the integration tests read these lines; keep their format stable.
#pragma once

#include <string_view>

#include "config/config.hpp"

namespace tapstack::daemon {

using config::LogLevel;

// The lowercase name of a level as printed: trace, debug, info, warn, error.
std::string_view level_name(LogLevel level);

// Passed by reference to whoever logs; it must outlive them. Each line is written with a single
// write(2), so lines from one process never interleave.
class Logger {
 public:
  explicit Logger(LogLevel threshold = LogLevel::info) : threshold_(threshold) {}

  bool enabled(LogLevel level) const { return level >= threshold_; }
  void log(LogLevel level, std::string_view message) const;

  void debug(std::string_view message) const { log(LogLevel::debug, message); }
  void info(std::string_view message) const { log(LogLevel::info, message); }
  void warn(std::string_view message) const { log(LogLevel::warn, message); }
  void error(std::string_view message) const { log(LogLevel::error, message); }

 private:
  LogLevel threshold_;
};

}  // namespace tapstack::daemon
