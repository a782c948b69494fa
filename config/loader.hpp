// Loading the daemon's Config from YAML: the embedded defaults (config/defaults.yaml), then a
// document on top of them, then validation. Every error is a ConfigError whose what() reads
// "FILE:LINE:COL: MESSAGE", e.g.
//   /etc/tapstack/tapstackd.yaml:7:16: ipv4.default_ttl: expected an integer 1..255, got "300"
#pragma once

#include <string>
#include <string_view>

#include "config/config.hpp"
#include "config/config_error.hpp"

namespace tapstack::config {

// The embedded defaults, parsed and validated.
Config default_config();

// The defaults with `yaml` applied: keys present override, a present `interfaces` list replaces
// the default list. `source_name` names the document in messages. Throws ConfigError.
Config load_config_text(std::string_view yaml, const std::string& source_name);

// load_config_text() on the contents of the file at `path`; an unreadable file fails with
// "PATH: cannot open: REASON". Throws ConfigError.
Config load_config_file(const std::string& path);

}  // namespace tapstack::config
