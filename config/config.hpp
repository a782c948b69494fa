// The daemon's whole configuration as one typed value. Loaded from YAML (config/loader.hpp) on top
// of the embedded defaults (config/defaults.yaml documents every field, its range and default),
// then overridden by command-line flags (config/cli_options.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "stack/base/address.hpp"
#include "stack/base/time.hpp"

namespace tapstack::config {

enum class LogLevel { trace, debug, info, warn, error };

struct InterfaceConfig {
  std::string tap_name = "tap0";    // TAP device to create or attach to
  std::optional<MacAddr> mac;       // the stack's MAC; nullopt: 02:54:53:xx:xx:xx from the address
  std::uint16_t mtu = 1500;         // 68 .. 65521
  std::vector<Ipv4Cidr> addresses;  // the stack's own addresses on this interface (>= 1)
  std::optional<Ipv4Cidr> host_address;  // assigned to the kernel side; nullopt: leave it alone

  bool operator==(const InterfaceConfig&) const = default;
};

struct ArpConfig {
  Duration reachable_time = std::chrono::seconds(30);      // a resolved entry ages out after this
  Duration retransmit_interval = std::chrono::seconds(1);  // between requests for one address
  std::uint32_t max_requests = 3;          // unanswered requests before the address is unreachable
  std::uint32_t max_entries = 1024;        // neighbour table size
  std::uint32_t max_pending_packets = 16;  // packets queued per unresolved address

  bool operator==(const ArpConfig&) const = default;
};

struct Ipv4Config {
  std::uint8_t default_ttl = 64;
  Duration reassembly_timeout = std::chrono::seconds(30);  // RFC 791 suggests 15 s; Linux 30 s
  std::uint64_t reassembly_memory = 4u << 20;              // bytes held by all partial datagrams

  bool operator==(const Ipv4Config&) const = default;
};

struct TapConfig {
  std::uint32_t rx_buffers = 256;   // TAP reads kept in flight
  std::uint32_t tx_buffers = 1024;  // frames queued for write, at most

  bool operator==(const TapConfig&) const = default;
};

struct IpcConfig {
  std::string socket_path = "/run/tapstack/tapstack.sock";
  std::string group;  // empty: the daemon's own group

  bool operator==(const IpcConfig&) const = default;
};

struct Config {
  std::vector<InterfaceConfig> interfaces;  // >= 1; the first is the one CLI flags change
  std::optional<Ipv4Addr> gateway;          // default route next hop
  ArpConfig arp;
  Ipv4Config ipv4;
  TapConfig tap;
  IpcConfig ipc;
  LogLevel log_level = LogLevel::info;

  bool operator==(const Config&) const = default;
};

}  // namespace tapstack::config
