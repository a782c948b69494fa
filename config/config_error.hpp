// The one error type of configuration loading. Configuration is read once at start-up, before the
// daemon does anything else, so an exception that carries the full message to main() is the
// simplest correct design here (the packet path never throws).
#pragma once

#include <stdexcept>
#include <string>

namespace tapstack::config {

// what() is the complete, user-facing message: "FILE:LINE:COL: MESSAGE" (1-based line and column)
// when the error has a position in the document, "FILE: MESSAGE" when it has none.
class ConfigError : public std::runtime_error {
 public:
  explicit ConfigError(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace tapstack::config
