#include "daemon/log.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
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

namespace {

// systemd.exec(5): JOURNAL_STREAM is "DEVICE:INODE" of the stream journald connected to stderr.
bool stderr_is_journal() {
  const char* stream = std::getenv("JOURNAL_STREAM");
  if (stream == nullptr) return false;
  struct stat status {};
  if (::fstat(STDERR_FILENO, &status) != 0) return false;
  const std::string expected = std::to_string(status.st_dev) + ":" + std::to_string(status.st_ino);
  return expected == stream;
}

// sd-daemon(3) priorities.
char priority(LogLevel level) {
  switch (level) {
    case LogLevel::error:
      return '3';
    case LogLevel::warn:
      return '4';
    case LogLevel::info:
      return '6';
    case LogLevel::debug:
    case LogLevel::trace:
      return '7';
  }
  return '6';
}

}  // namespace

Logger::Logger(LogLevel threshold) : threshold_(threshold), journal_(stderr_is_journal()) {}

void Logger::log(LogLevel level, std::string_view message) const {
  if (!enabled(level)) return;
  std::string line;
  line.reserve(3 + level_name(level).size() + 2 + message.size() + 1);
  if (journal_) line.append({'<', priority(level), '>'});
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
