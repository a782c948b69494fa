// tapstackd's command line. Precedence: embedded defaults < the --config file < flags; the
// interface flags change the first interface. The result is validated like a file.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "config/config.hpp"

namespace tapstack::config {

struct CliOutcome {
  std::optional<Config> config;  // set when the daemon should run with it
  int exit_code = 0;             // when `config` is empty: 0 for --help/--version, 2 for errors
  std::string output;            // help or version text, or the error message (newline-terminated)
  bool to_stderr = false;        // true for errors
};

// Parses argv (argv[0] is the program name). Never exits and never prints: the caller writes
// `output` to stdout or stderr and exits with `exit_code` unless `config` is set.
CliOutcome parse_command_line(int argc, const char* const* argv, std::string_view version);

}  // namespace tapstack::config
