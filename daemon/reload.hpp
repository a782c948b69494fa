// SIGHUP: the configuration is read again and what can change live is applied (issue 6): the log
// level, the built-in services, the TCP defaults, the IPC limits, and the addresses of the
// interfaces (issue 9).
// Everything else (interfaces themselves, routes, TAP, IPC socket, ARP and IPv4 tables, fault
// injection) needs a restart, and a reload that changes it says so in the log and keeps the
// running value.
#pragma once

#include <functional>
#include <span>
#include <string>

#include "config/config.hpp"
#include "daemon/ipc/ipc_server.hpp"
#include "daemon/log.hpp"
#include "daemon/services/services.hpp"
#include "stack/stack.hpp"
#include "stack/tcp/tcp_layer.hpp"

namespace tapstack::daemon {

// Reads the configuration as at start (same file, same command-line overrides); the message of
// a failure has the file:line of the error.
using ConfigSource = std::function<Result<config::Config, std::string>()>;

struct ReloadTargets {
  Logger& log;
  services::Services& services;
  Stack& stack;
  std::span<const InterfaceId> interfaces;  // the stack's id of each configured interface
  Instant now;
  ipc::IpcServer* ipc = nullptr;  // its limits follow ipc.max_*; null: none to update
};

// Applies `next` where it differs from `running` and can change live, logs what changed and
// what needs a restart, and updates `running` to what is in effect now.
void apply_reload(config::Config& running, const config::Config& next, ReloadTargets targets);

}  // namespace tapstack::daemon
