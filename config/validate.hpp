// The configuration rules that involve more than one field. Each field's own range is checked
// when it is parsed (config/field_parsers.hpp); these run on the complete Config, after the file
// and again after command-line overrides.
#pragma once

#include <optional>
#include <string>

#include "config/config.hpp"

namespace tapstack::config {

struct ConfigIssue {
  std::string path;     // the field to blame, e.g. "gateway", "interfaces[1].tap"
  std::string message;  // what is wrong with it, e.g. `"tap0" is already used by interfaces[0]`
};

// The first rule `config` breaks, in field order; nullopt when it is consistent:
// - at least one interface, each with at least one address;
// - TAP names unique; addresses unique over all interfaces;
// - each host_address on the subnet of one of its interface's addresses and not one of them;
// - the gateway on the subnet of some interface address and not one of them;
// - tcp: rto_min <= rto_initial <= rto_max, send_buffer <= send_buffer_max, receive_buffer <=
//   receive_buffer_max;
// - the metrics Unix socket not at the IPC socket's path;
// - the enabled services on distinct ports.
std::optional<ConfigIssue> find_config_issue(const Config& config);

}  // namespace tapstack::config
