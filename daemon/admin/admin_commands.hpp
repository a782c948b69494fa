// The commands tapstackctl runs in the daemon (ipc/PROTOCOL.md §7): status, sockets, stats,
// config, log-level. Each reads the daemon's live state and answers with a Table, as
// aligned text or, with `--json`, as JSON. Changing commands need a privileged caller.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "daemon/admin/table.hpp"
#include "daemon/device.hpp"
#include "daemon/ipc/ipc_server.hpp"
#include "daemon/log.hpp"
#include "stack/stack.hpp"

namespace tapstack::daemon::admin {

// What the commands look at; everything outlives the AdminCommands.
struct AdminSources {
  Stack& stack;
  Logger& log;
  const ipc::IpcServer& ipc;
  std::span<const Device> devices;
  const config::Config& config;  // in effect (reloads update it)
  Instant started;
  std::string version;
};

class AdminCommands {
 public:
  explicit AdminCommands(AdminSources sources) : s_(std::move(sources)) {}

  // Runs one command line ("sockets --json"). EINVAL for an unknown command or bad arguments
  // (the answer to "help" lists them), EPERM for a change by an unprivileged caller.
  Result<std::string, std::uint32_t> run(const ipc::AdminCaller& caller, std::string_view line,
                                         Instant now);

 private:
  Table status(Instant now) const;
  Table sockets(const ipc::AdminCaller& caller) const;
  Table stats() const;
  Result<Table, std::uint32_t> log_level(const ipc::AdminCaller& caller,
                                         std::span<const std::string> args);

  AdminSources s_;
};

}  // namespace tapstack::daemon::admin
