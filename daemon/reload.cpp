#include "daemon/reload.hpp"

#include "config/field_parsers.hpp"
#include "daemon/settings.hpp"

namespace tapstack::daemon {
namespace {

// The sections that only a restart can change, by their key in the file.
void warn_restart_needed(const config::Config& running, const config::Config& next,
                         const Logger& log) {
  const std::pair<const char*, bool> sections[] = {
      {"interfaces", running.interfaces != next.interfaces},
      {"gateway", running.gateway != next.gateway},
      {"arp", running.arp != next.arp},
      {"ipv4", running.ipv4 != next.ipv4},
      {"tap", running.tap != next.tap},
      {"ipc", running.ipc != next.ipc},
      {"fault_injection", running.fault_injection != next.fault_injection},
      {"tcp.ephemeral_ports", running.tcp.ephemeral_first != next.tcp.ephemeral_first ||
                                  running.tcp.ephemeral_last != next.tcp.ephemeral_last},
  };
  for (const auto& [name, changed] : sections) {
    if (changed) log.warn(std::string{"reload: "} + name + " changed: needs a restart");
  }
}

}  // namespace

void apply_reload(config::Config& running, const config::Config& next, ReloadTargets targets) {
  warn_restart_needed(running, next, targets.log);
  if (next.log_level != running.log_level) {
    targets.log.set_threshold(next.log_level);
    running.log_level = next.log_level;
    targets.log.info("reload: log level " + std::string{config::to_string(next.log_level)});
  }
  if (next.services != running.services) {
    if (auto done = targets.services.reconfigure(next.services); !done) {
      targets.log.warn("reload: " + done.error());
    }
    running.services = next.services;
    targets.log.info("reload: services reconfigured");
  }
  if (next.tcp != running.tcp) {
    const std::uint16_t first = running.tcp.ephemeral_first;
    const std::uint16_t last = running.tcp.ephemeral_last;
    running.tcp = next.tcp;
    running.tcp.ephemeral_first = first;
    running.tcp.ephemeral_last = last;
    targets.tcp.update_settings(tcp_settings(running.tcp));
    targets.log.info("reload: TCP defaults updated (new connections and timers)");
  }
}

}  // namespace tapstack::daemon
