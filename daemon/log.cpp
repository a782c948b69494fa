#include "daemon/log.hpp"

#include <unistd.h>

#include <cerrno>
#include <string>

namespace tapstack::daemon {

std::string_view level_name(LogLevel level) {
  switch (level) {
    case LogLevel::trace:
      return "trace";
    case LogLevel::debug:
      return "debug";
    case LogLevel::info:
      return "info";
    case LogLevel::warn:
      return "warn";
    case LogLevel::error:
      return "error";
  }
  return "log";
}

void Logger::log(LogLevel level, std::string_view message) const {
  if (!enabled(level)) return;
  std::string line;
  line.reserve(level_name(level).size() + 2 + message.size() + 1);
  line.append(level_name(level)).append(": ").append(message).push_back('\n');
  std::string_view rest = line;
  while (!rest.empty()) {
    const ssize_t written = ::write(STDERR_FILENO, rest.data(), rest.size());
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return;  // nowhere left to report a logging failure
    rest.remove_prefix(static_cast<std::size_t>(written));
  }
}

}  // namespace tapstack::daemon
