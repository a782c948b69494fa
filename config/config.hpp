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
#include "stack/fault/fault_injector.hpp"
#include "stack/socket/socket_types.hpp"
#include "stack/tcp/congestion/congestion_control.hpp"

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
  bool offloads = true;             // virtio-net header: checksum, TSO both ways, USO from host
  Duration busy_poll{0};            // poll this long after each loop turn before sleeping

  bool operator==(const TapConfig&) const = default;
};

struct IpcConfig {
  std::string socket_path = "/run/tapstack/tapstack.sock";
  std::string group;  // empty: the daemon's own group
  // Limits (issue 8): clients connected at once; sockets per client (EMFILE beyond) and in all
  // (ENFILE beyond).
  std::uint32_t max_clients = 1024;
  std::uint32_t max_sockets_per_client = 4096;
  std::uint32_t max_sockets = 65536;
  // Buffer space the sockets of one client may reserve in the stack (each socket its send
  // buffer plus its largest receive buffer); socket(), accept and SO_SNDBUF/SO_RCVBUF get
  // ENOBUFS beyond.
  std::uint64_t max_buffer_per_client = 25ULL << 30;
  // Ports below it need a client running as root to bind (Linux's
  // net.ipv4.ip_unprivileged_port_start); 0: anyone may bind any port.
  std::uint16_t unprivileged_port_start = 1024;

  bool operator==(const IpcConfig&) const = default;
};

// Where the Prometheus metrics endpoint listens (`metrics.listen`): nowhere (off), a Unix stream
// socket, or a TCP address on the host's own network (the daemon's kernel socket, not the stack).
struct MetricsConfig {
  std::string unix_path;             // absolute; empty: no Unix socket
  std::optional<SocketAddress> tcp;  // HOST:PORT; nullopt: no TCP listener

  bool enabled() const { return !unix_path.empty() || tcp.has_value(); }
  bool operator==(const MetricsConfig&) const = default;
};

// Optional host-side setup (`host_nat:`): the kernel forwards and masquerades the stack's subnets
// so that the stack reaches networks beyond the host; undone when the daemon stops.
struct HostNatConfig {
  bool enabled = false;
  std::string uplink;  // the interface the traffic leaves by; empty: any but the TAP devices

  bool operator==(const HostNatConfig&) const = default;
};

// TCP defaults for every connection (`tcp:`); mapped onto the stack's TcpSettings. Linux's values.
struct TcpConfig {
  Duration rto_min = std::chrono::milliseconds(200);
  Duration rto_max = std::chrono::seconds(120);
  Duration rto_initial = std::chrono::seconds(1);
  std::uint32_t retries = 15;  // retransmissions before ETIMEDOUT (tcp_retries2)
  std::uint32_t syn_retries = 6;
  std::uint32_t synack_retries = 5;
  Duration delayed_ack = std::chrono::milliseconds(40);
  Duration time_wait = std::chrono::seconds(60);
  Duration fin_timeout = std::chrono::seconds(60);  // orphaned FIN-WAIT-2 (Linux tcp_fin_timeout)
  Duration keepalive_idle = std::chrono::hours(2);
  Duration keepalive_interval = std::chrono::seconds(75);
  std::uint32_t keepalive_count = 9;
  std::uint64_t send_buffer = 256 * 1024;
  std::uint64_t send_buffer_max = 4 * 1024 * 1024;
  std::uint64_t receive_buffer = 128 * 1024;
  std::uint64_t receive_buffer_max = 6 * 1024 * 1024;
  CongestionAlgorithm congestion = CongestionAlgorithm::cubic;
  bool timestamps = true;
  bool sack = true;
  bool window_scaling = true;
  std::uint32_t syn_backlog = 256;
  bool syn_cookies = true;
  std::uint16_t ephemeral_first = 32768;
  std::uint16_t ephemeral_last = 60999;
  std::uint32_t max_connections = 100000;

  bool operator==(const TcpConfig&) const = default;
};

struct ServiceConfig {
  bool enabled = true;
  std::uint16_t port = 0;

  bool operator==(const ServiceConfig&) const = default;
};

// The daemon's built-in TCP services (`services:`), listening on every stack address.
struct ServicesConfig {
  ServiceConfig echo{true, 7};      // RFC 862
  ServiceConfig discard{true, 9};   // RFC 863
  ServiceConfig chargen{true, 19};  // RFC 864
  ServiceConfig http{true, 80};     // status page, /bytes/N, POST /sink

  bool operator==(const ServicesConfig&) const = default;
};

// Link impairment on the TAP path (`fault_injection:`): rx before the stack, tx before the
// device. Probabilities are stored as fractions 0..1 (the file writes percentages).
struct FaultInjectionConfig {
  FaultSettings rx;
  FaultSettings tx;
  std::uint64_t seed = 1;

  bool enabled() const { return rx.enabled() || tx.enabled(); }
  bool operator==(const FaultInjectionConfig&) const = default;
};

// A static route (`routes:`): a prefix reached through a next hop on one of our subnets.
struct RouteConfig {
  Ipv4Cidr to;  // a network prefix, host bits zero, length 1..32
  Ipv4Addr via;

  bool operator==(const RouteConfig&) const = default;
};

struct Config {
  std::vector<InterfaceConfig> interfaces;  // >= 1; the first is the one CLI flags change
  std::optional<Ipv4Addr> gateway;          // default route next hop
  std::vector<RouteConfig> routes;          // static routes besides the default
  ArpConfig arp;
  Ipv4Config ipv4;
  TapConfig tap;
  IpcConfig ipc;
  MetricsConfig metrics;
  HostNatConfig host_nat;
  TcpConfig tcp;
  ServicesConfig services;
  FaultInjectionConfig fault_injection;
  LogLevel log_level = LogLevel::info;

  bool operator==(const Config&) const = default;
};

}  // namespace tapstack::config
