// A small leveled logger: one line per message on stderr, `LEVEL: message` (e.g. `info: ready`).
// Operators and the integration tests read these lines; keep their format stable. Under
// journald (stderr is the stream named by $JOURNAL_STREAM) each line starts with its syslog
// priority, `<6>info: ready`, which journald turns into the entry's priority (sd-daemon(3)).
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
  explicit Logger(LogLevel threshold = LogLevel::info);

  bool enabled(LogLevel level) const { return level >= threshold_; }
  LogLevel threshold() const { return threshold_; }
  // `tapstackctl log-level` and reloads change it at run time.
  void set_threshold(LogLevel level) { threshold_ = level; }
  void log(LogLevel level, std::string_view message) const;

  void debug(std::string_view message) const { log(LogLevel::debug, message); }
  void info(std::string_view message) const { log(LogLevel::info, message); }
  void warn(std::string_view message) const { log(LogLevel::warn, message); }
  void error(std::string_view message) const { log(LogLevel::error, message); }

 private:
  LogLevel threshold_;
  bool journal_ = false;  // prefix lines with <priority>
};

}  // namespace tapstack::daemon
