#include "daemon/admin/config_rows.hpp"

#include <string>

#include "config/field_parsers.hpp"
#include "config/units.hpp"

namespace tapstack::daemon::admin {
namespace {

using config::format_duration;
using config::format_size;

std::string yes_no(bool value) {
  return value ? "true" : "false";
}

std::string number(double value) {
  std::string text = std::to_string(value);
  while (text.find('.') != std::string::npos && (text.back() == '0' || text.back() == '.')) {
    const bool dot = text.back() == '.';
    text.pop_back();
    if (dot) break;
  }
  return text;
}

void add_interfaces(Table& table, const config::Config& config) {
  for (std::size_t i = 0; i < config.interfaces.size(); ++i) {
    const config::InterfaceConfig& interface = config.interfaces[i];
    const std::string key = "interfaces[" + std::to_string(i) + "].";
    std::string addresses;
    for (const Ipv4Cidr& address : interface.addresses) {
      addresses += (addresses.empty() ? "" : " ") + address.to_string();
    }
    table.add_row({key + "tap", interface.tap_name});
    table.add_row({key + "mac", interface.mac ? interface.mac->to_string() : "auto"});
    table.add_row({key + "mtu", std::to_string(interface.mtu)});
    table.add_row({key + "addresses", addresses});
    table.add_row({key + "host_address",
                   interface.host_address ? interface.host_address->to_string() : "none"});
  }
  table.add_row({"gateway", config.gateway ? config.gateway->to_string() : "none"});
  for (std::size_t i = 0; i < config.routes.size(); ++i) {
    table.add_row({"routes[" + std::to_string(i) + "]",
                   config.routes[i].to.to_string() + " via " + config.routes[i].via.to_string()});
  }
}

void add_tables(Table& table, const config::Config& c) {
  table.add_row({"arp.reachable_time", format_duration(c.arp.reachable_time)});
  table.add_row({"arp.retransmit_interval", format_duration(c.arp.retransmit_interval)});
  table.add_row({"arp.max_requests", std::to_string(c.arp.max_requests)});
  table.add_row({"arp.max_entries", std::to_string(c.arp.max_entries)});
  table.add_row({"arp.max_pending_packets", std::to_string(c.arp.max_pending_packets)});
  table.add_row({"ipv4.default_ttl", std::to_string(c.ipv4.default_ttl)});
  table.add_row({"ipv4.reassembly_timeout", format_duration(c.ipv4.reassembly_timeout)});
  table.add_row({"ipv4.reassembly_memory", format_size(c.ipv4.reassembly_memory)});
  table.add_row({"tap.rx_buffers", std::to_string(c.tap.rx_buffers)});
  table.add_row({"tap.tx_buffers", std::to_string(c.tap.tx_buffers)});
  table.add_row({"tap.offloads", c.tap.offloads ? "true" : "false"});
  table.add_row({"tap.busy_poll", format_duration(c.tap.busy_poll)});
  table.add_row({"ipc.socket", c.ipc.socket_path});
  table.add_row({"ipc.group", c.ipc.group});
  table.add_row({"ipc.max_clients", std::to_string(c.ipc.max_clients)});
  table.add_row({"ipc.max_sockets_per_client", std::to_string(c.ipc.max_sockets_per_client)});
  table.add_row({"ipc.max_sockets", std::to_string(c.ipc.max_sockets)});
  table.add_row({"ipc.max_buffer_per_client", format_size(c.ipc.max_buffer_per_client)});
  table.add_row({"ipc.unprivileged_port_start", std::to_string(c.ipc.unprivileged_port_start)});
}

void add_tcp(Table& table, const config::TcpConfig& t) {
  const std::pair<const char*, std::string> rows[] = {
      {"rto_min", format_duration(t.rto_min)},
      {"rto_max", format_duration(t.rto_max)},
      {"rto_initial", format_duration(t.rto_initial)},
      {"retries", std::to_string(t.retries)},
      {"syn_retries", std::to_string(t.syn_retries)},
      {"synack_retries", std::to_string(t.synack_retries)},
      {"delayed_ack", format_duration(t.delayed_ack)},
      {"time_wait", format_duration(t.time_wait)},
      {"fin_timeout", format_duration(t.fin_timeout)},
      {"keepalive_idle", format_duration(t.keepalive_idle)},
      {"keepalive_interval", format_duration(t.keepalive_interval)},
      {"keepalive_count", std::to_string(t.keepalive_count)},
      {"send_buffer", format_size(t.send_buffer)},
      {"send_buffer_max", format_size(t.send_buffer_max)},
      {"receive_buffer", format_size(t.receive_buffer)},
      {"receive_buffer_max", format_size(t.receive_buffer_max)},
      {"congestion", std::string{to_string(t.congestion)}},
      {"timestamps", yes_no(t.timestamps)},
      {"sack", yes_no(t.sack)},
      {"window_scaling", yes_no(t.window_scaling)},
      {"syn_backlog", std::to_string(t.syn_backlog)},
      {"syn_cookies", yes_no(t.syn_cookies)},
      {"ephemeral_ports",
       std::to_string(t.ephemeral_first) + "-" + std::to_string(t.ephemeral_last)},
      {"max_connections", std::to_string(t.max_connections)},
  };
  for (const auto& [name, value] : rows) table.add_row({std::string{"tcp."} + name, value});
}

void add_services(Table& table, const config::ServicesConfig& s) {
  const std::pair<const char*, const config::ServiceConfig*> services[] = {
      {"echo", &s.echo}, {"discard", &s.discard}, {"chargen", &s.chargen}, {"http", &s.http}};
  for (const auto& [name, service] : services) {
    table.add_row({std::string{"services."} + name + ".enabled", yes_no(service->enabled)});
    table.add_row({std::string{"services."} + name + ".port", std::to_string(service->port)});
  }
}

void add_faults(Table& table, const std::string& key, const FaultSettings& f) {
  table.add_row({key + "drop", number(f.drop * 100)});  // the file writes percentages
  table.add_row({key + "duplicate", number(f.duplicate * 100)});
  table.add_row({key + "corrupt", number(f.corrupt * 100)});
  table.add_row({key + "reorder", number(f.reorder * 100)});
  table.add_row({key + "delay", format_duration(f.delay)});
  table.add_row({key + "jitter", format_duration(f.jitter)});
  table.add_row({key + "reorder_delay", format_duration(f.reorder_delay)});
  table.add_row({key + "rate", std::to_string(f.rate_bits_per_second)});
  table.add_row({key + "queue_limit", std::to_string(f.queue_limit)});
}

}  // namespace

Table config_table(const config::Config& config) {
  Table table = Table::key_value();
  add_interfaces(table, config);
  add_tables(table, config);
  add_tcp(table, config.tcp);
  add_services(table, config.services);
  table.add_row({"fault_injection.seed", std::to_string(config.fault_injection.seed)});
  add_faults(table, "fault_injection.rx.", config.fault_injection.rx);
  add_faults(table, "fault_injection.tx.", config.fault_injection.tx);
  table.add_row({"host_nat.enabled", yes_no(config.host_nat.enabled)});
  table.add_row({"host_nat.uplink", config.host_nat.uplink});
  table.add_row({"log.level", std::string{config::to_string(config.log_level)}});
  return table;
}

}  // namespace tapstack::daemon::admin
