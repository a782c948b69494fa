// The text of config/defaults.yaml, compiled into the library at build time (see
// config/CMakeLists.txt), so tapstackd needs no file to start and its defaults are documented in
// exactly one place.
#pragma once

#include <string_view>

namespace tapstack::config {

// The complete default configuration as YAML; static storage, valid for the program's lifetime.
std::string_view embedded_defaults_yaml();

}  // namespace tapstack::config
