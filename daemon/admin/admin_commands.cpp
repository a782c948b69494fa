#include "daemon/admin/admin_commands.hpp"

#include <cerrno>
#include <chrono>
#include <map>
#include <sstream>

#include "config/field_parsers.hpp"
#include "daemon/admin/config_rows.hpp"
#include "daemon/admin/network_tables.hpp"
#include "stack/tcp/tcp_layer.hpp"
#include "stack/udp/udp_layer.hpp"

namespace tapstack::daemon::admin {
namespace {

using ipc::AdminCaller;

constexpr std::string_view kHelp =
    "commands: status, sockets, stats, config, addr, routes, neigh, log-level [LEVEL],\n"
    "  address add|del IFNAME ADDRESS; add --json for JSON\n";

std::vector<std::string> words_of(std::string_view line) {
  std::vector<std::string> words;
  std::istringstream in{std::string{line}};
  for (std::string word; in >> word;) words.push_back(word);
  return words;
}

std::string endpoint(SocketAddress address) {
  const std::string host = address.address.is_unspecified() ? "*" : address.address.to_string();
  return host + ":" + (address.port == 0 ? std::string{"*"} : std::to_string(address.port));
}

std::uint64_t handle_key(SocketHandle handle) {
  return (std::uint64_t{handle.index} << 32) | handle.generation;
}

std::string micros(Duration d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(d).count());
}

// Who owns each socket of a kind: the IPC client that created it, or the daemon's own services.
std::map<std::uint64_t, const ipc::Credentials*> owners_of(const ipc::IpcServer& ipc,
                                                           tapstack::ipc::SocketKind kind,
                                                           std::vector<ipc::SocketOwner>& keep) {
  keep = ipc.socket_owners();
  std::map<std::uint64_t, const ipc::Credentials*> owners;
  for (const ipc::SocketOwner& owner : keep) {
    if (owner.kind == kind) owners[handle_key(owner.handle)] = owner.creator.get();
  }
  return owners;
}

// The owner columns: pid, uid, program. Others' sockets keep their owner from the unprivileged
// (as ss shows process details only for one's own sockets).
std::vector<std::string> owner_cells(const ipc::Credentials* creator, const AdminCaller& caller,
                                     bool known_ipc, bool& visible) {
  if (!known_ipc) {
    visible = true;
    return {"-", "-", "tapstackd"};  // a built-in service
  }
  visible = creator != nullptr && (caller.privileged || creator->uid == caller.credentials.uid);
  if (!visible) return {"-", "-", "-"};
  return {std::to_string(creator->pid), std::to_string(creator->uid),
          creator->program.empty() ? "-" : creator->program};
}

}  // namespace

Result<std::string, std::uint32_t> AdminCommands::run(const AdminCaller& caller,
                                                      std::string_view line, Instant now) {
  std::vector<std::string> words = words_of(line);
  bool as_json = false;
  std::erase_if(words, [&](const std::string& w) { return w == "--json" && (as_json = true); });
  if (words.empty() || words[0] == "help") return std::string{kHelp};
  const std::string& command = words[0];
  const std::span<const std::string> args = std::span{words}.subspan(1);
  if (command == "status" && args.empty()) return status(now).render(as_json);
  if (command == "sockets" && args.empty()) return sockets(caller).render(as_json);
  if (command == "stats" && args.empty()) return stats().render(as_json);
  if (command == "config" && args.empty()) return config_table(s_.config).render(as_json);
  if (command == "addr" && args.empty())
    return addresses_table(s_.stack, s_.devices).render(as_json);
  if (command == "routes" && args.empty())
    return routes_table(s_.stack, s_.devices).render(as_json);
  if (command == "neigh" && args.empty()) {
    return neighbors_table(s_.stack, s_.devices, now).render(as_json);
  }
  if (command == "address") {
    if (!caller.privileged) return unexpected(std::uint32_t{EPERM});
    if (auto changed = change_address(s_.stack, s_.devices, args, now); !changed) {
      return unexpected(changed.error());
    }
    std::string line_text = "address";
    for (const std::string& arg : args) line_text += " " + arg;
    s_.log.info(line_text + " (tapstackctl, uid " + std::to_string(caller.credentials.uid) + ")");
    return addresses_table(s_.stack, s_.devices).render(as_json);
  }
  if (command == "log-level") {
    auto table = log_level(caller, args);
    if (!table) return unexpected(table.error());
    return table->render(as_json);
  }
  return unexpected(std::uint32_t{EINVAL});
}

Table AdminCommands::status(Instant now) const {
  Table table = Table::key_value();
  const auto uptime = std::chrono::duration_cast<std::chrono::seconds>(now - s_.started);
  table.add_row({"version", s_.version});
  table.add_row({"uptime_seconds", std::to_string(uptime.count())});
  table.add_row({"log_level", std::string{config::to_string(s_.log.threshold())}});
  for (const Device& device : s_.devices) {
    table.add_row({"interface", device.tap.name()});
  }
  table.add_row({"tcp_connections", std::to_string(s_.stack.tcp().connection_count())});
  table.add_row({"tcp_sockets", std::to_string(s_.stack.tcp().socket_count())});
  table.add_row({"udp_sockets", std::to_string(s_.stack.udp().socket_count())});
  table.add_row({"ipc_clients", std::to_string(s_.ipc.client_count())});
  table.add_row({"ipc_sockets", std::to_string(s_.ipc.socket_count())});
  const Counters& counters = s_.stack.counters();
  table.add_row({"ipv4_rx_packets", std::to_string(counters.get(Counter::ipv4_rx_packets))});
  table.add_row({"ipv4_tx_packets", std::to_string(counters.get(Counter::ipv4_tx_packets))});
  return table;
}

Table AdminCommands::sockets(const AdminCaller& caller) const {
  Table table{{{"proto"},
               {"state"},
               {"recv_q", true},
               {"send_q", true},
               {"local"},
               {"peer"},
               {"pid", true},
               {"uid", true},
               {"program"},
               {"cwnd", true},
               {"rtt_us", true},
               {"retrans", true}}};
  std::vector<ipc::SocketOwner> keep;
  const auto tcp_owners = owners_of(s_.ipc, tapstack::ipc::SocketKind::tcp, keep);
  for (const TcpSocketSummary& socket : s_.stack.tcp().snapshot()) {
    const auto owner = tcp_owners.find(handle_key(socket.handle));
    bool visible = false;
    auto cells = owner_cells(owner == tcp_owners.end() ? nullptr : owner->second, caller,
                             owner != tcp_owners.end() || socket.orphan, visible);
    if (socket.orphan) cells = {"-", "-", "-"};  // closed by its program, finishing alone
    std::vector<std::string> row{"tcp", std::string{to_string(socket.state)}};
    const bool listener = socket.state == TcpState::listen;
    const auto& info = socket.info;
    row.push_back(std::to_string(listener ? socket.accept_queue : info ? info->receive_queue : 0));
    row.push_back(std::to_string(listener ? socket.backlog : info ? info->send_queue : 0));
    row.push_back(endpoint(socket.local));
    row.push_back(endpoint(socket.remote));
    row.insert(row.end(), cells.begin(), cells.end());
    const bool details = info.has_value() && (visible || caller.privileged);
    row.push_back(details ? std::to_string(info->cwnd / std::max<std::uint32_t>(info->smss, 1))
                          : "-");
    row.push_back(details && info->srtt ? micros(*info->srtt) : "-");
    row.push_back(details ? std::to_string(info->retransmits) : "-");
    table.add_row(std::move(row));
  }
  const auto udp_owners = owners_of(s_.ipc, tapstack::ipc::SocketKind::udp, keep);
  for (const UdpSocketSummary& socket : s_.stack.udp().snapshot()) {
    const auto owner = udp_owners.find(handle_key(socket.handle));
    bool visible = false;
    auto cells = owner_cells(owner == udp_owners.end() ? nullptr : owner->second, caller,
                             owner != udp_owners.end(), visible);
    std::vector<std::string> row{"udp",
                                 socket.remote ? "ESTABLISHED" : "UNCONN",
                                 std::to_string(socket.queued_bytes),
                                 "0",
                                 endpoint(socket.local),
                                 socket.remote ? endpoint(*socket.remote) : "*:*"};
    row.insert(row.end(), cells.begin(), cells.end());
    row.insert(row.end(), {"-", "-", "-"});
    table.add_row(std::move(row));
  }
  return table;
}

Table AdminCommands::stats() const {
  Table table = Table::key_value();
  const Counters& counters = s_.stack.counters();
  for (std::size_t i = 0; i < kCounterCount; ++i) {
    table.add_row({std::string{kCounterNames[i]}, std::to_string(counters.all()[i])});
  }
  tapdev::DeviceCounters devices;
  for (const Device& device : s_.devices) devices += device.io->counters();
  for (const auto& [name, value] : devices.named()) {
    table.add_row({"tap_" + std::string{name}, std::to_string(value)});
  }
  for (const auto& [name, value] : s_.ipc.stats().named()) {
    table.add_row({"ipc_" + std::string{name}, std::to_string(value)});
  }
  return table;
}

Result<Table, std::uint32_t> AdminCommands::log_level(const AdminCaller& caller,
                                                      std::span<const std::string> args) {
  if (args.size() > 1) return unexpected(std::uint32_t{EINVAL});
  if (args.size() == 1) {
    const auto level = config::parse_log_level(args[0]);
    if (!level) return unexpected(std::uint32_t{EINVAL});
    if (!caller.privileged) return unexpected(std::uint32_t{EPERM});
    s_.log.info("log level " + args[0] + " (tapstackctl, uid " +
                std::to_string(caller.credentials.uid) + ")");
    s_.log.set_threshold(*level);
  }
  Table table = Table::key_value();
  table.add_row({"log_level", std::string{config::to_string(s_.log.threshold())}});
  return table;
}

}  // namespace tapstack::daemon::admin
