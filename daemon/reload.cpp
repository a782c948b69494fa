#include "daemon/reload.hpp"

#include <algorithm>

#include "config/field_parsers.hpp"
#include "daemon/settings.hpp"
#include "stack/stack_tables.hpp"

namespace tapstack::daemon {
namespace {

bool same_but_addresses(std::vector<config::InterfaceConfig> a,
                        std::vector<config::InterfaceConfig> b) {
  for (auto& interface : a) interface.addresses.clear();
  for (auto& interface : b) interface.addresses.clear();
  return a == b;
}

bool contains(const std::vector<Ipv4Cidr>& list, const Ipv4Cidr& cidr) {
  return std::find(list.begin(), list.end(), cidr) != list.end();
}

// Issue 9: addresses come and go on a running interface; removed ones first, so that an
// address that only changed its prefix length is re-added.
void reload_addresses(config::Config& running, const config::Config& next,
                      const ReloadTargets& targets) {
  if (!same_but_addresses(running.interfaces, next.interfaces)) return;
  for (std::size_t i = 0; i < running.interfaces.size() && i < targets.interfaces.size(); ++i) {
    std::vector<Ipv4Cidr>& now_assigned = running.interfaces[i].addresses;
    const std::vector<Ipv4Cidr>& wanted = next.interfaces[i].addresses;
    const std::string name = running.interfaces[i].tap_name;
    for (const Ipv4Cidr old : std::vector<Ipv4Cidr>{now_assigned}) {
      if (contains(wanted, old)) continue;
      const auto removed =
          targets.stack.remove_address(targets.interfaces[i], old.address(), targets.now);
      if (!removed) {
        targets.log.warn("reload: " + name + ": remove " + old.to_string() + ": " +
                         std::string{tapstack::to_string(removed.error())});
        continue;
      }
      std::erase(now_assigned, old);
      targets.log.info("reload: " + name + ": removed " + old.to_string());
    }
    for (const Ipv4Cidr& added : wanted) {
      if (contains(now_assigned, added)) continue;
      const auto done = targets.stack.add_address(targets.interfaces[i], added, targets.now);
      if (!done) {
        targets.log.warn("reload: " + name + ": add " + added.to_string() + ": " +
                         std::string{tapstack::to_string(done.error())});
        continue;
      }
      now_assigned.push_back(added);
      targets.log.info("reload: " + name + ": added " + added.to_string());
    }
  }
}

// The sections that only a restart can change, by their key in the file.
void warn_restart_needed(const config::Config& running, const config::Config& next,
                         const Logger& log) {
  const std::pair<const char*, bool> sections[] = {
      {"interfaces", !same_but_addresses(running.interfaces, next.interfaces)},
      {"gateway", running.gateway != next.gateway},
      {"routes", running.routes != next.routes},
      {"arp", running.arp != next.arp},
      {"ipv4", running.ipv4 != next.ipv4},
      {"tap", running.tap != next.tap},
      {"ipc.socket", running.ipc.socket_path != next.ipc.socket_path},
      {"ipc.group", running.ipc.group != next.ipc.group},
      {"fault_injection", running.fault_injection != next.fault_injection},
      {"host_nat", running.host_nat != next.host_nat},
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
  reload_addresses(running, next, targets);
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
  if (next.ipc != running.ipc) {
    running.ipc.max_clients = next.ipc.max_clients;
    running.ipc.max_sockets_per_client = next.ipc.max_sockets_per_client;
    running.ipc.max_sockets = next.ipc.max_sockets;
    running.ipc.max_buffer_per_client = next.ipc.max_buffer_per_client;
    if (targets.ipc != nullptr) {
      targets.ipc->set_limits(running.ipc.max_clients, running.ipc.max_sockets_per_client,
                              running.ipc.max_sockets, running.ipc.max_buffer_per_client);
    }
  }
  if (next.tcp != running.tcp) {
    const std::uint16_t first = running.tcp.ephemeral_first;
    const std::uint16_t last = running.tcp.ephemeral_last;
    running.tcp = next.tcp;
    running.tcp.ephemeral_first = first;
    running.tcp.ephemeral_last = last;
    targets.stack.tcp().update_settings(tcp_settings(running.tcp));
    targets.log.info("reload: TCP defaults updated (new connections and timers)");
  }
}

}  // namespace tapstack::daemon
