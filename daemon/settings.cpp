#include "daemon/settings.hpp"

#include <algorithm>
#include <cassert>

namespace tapstack::daemon {

MacAddr default_mac(Ipv4Addr address) {
  const std::uint32_t value = address.value();
  return MacAddr{{0x02, 0x54, 0x53, static_cast<std::uint8_t>(value >> 16),
                  static_cast<std::uint8_t>(value >> 8), static_cast<std::uint8_t>(value)}};
}

bool wants_offloads(const config::Config& config) {
  return config.tap.offloads && !config.fault_injection.enabled();
}

StackSettings stack_settings(const config::Config& config, std::uint64_t seed) {
  StackSettings settings;
  settings.seed = seed;
  settings.default_ttl = config.ipv4.default_ttl;
  settings.max_mtu = 68;  // RFC 791's minimum; raised to the largest interface MTU
  for (const config::InterfaceConfig& interface : config.interfaces) {
    settings.max_mtu = std::max(settings.max_mtu, interface.mtu);
  }
  // Frames being written by a device still hold their stack buffer: the pool needs room for a
  // full transmit queue plus every device's writes in flight, or the stack starves under load.
  settings.tx_buffer_count =
      settings.tx_queue_frames + std::size_t{config.tap.tx_buffers} * config.interfaces.size();
  // A device may still refuse offloads; the pool then stays untouched.
  if (wants_offloads(config)) settings.gso_buffer_count = kGsoBuffers;

  settings.neighbor.reachable_time = config.arp.reachable_time;
  settings.neighbor.retransmit_interval = config.arp.retransmit_interval;
  settings.neighbor.max_requests = config.arp.max_requests;
  settings.neighbor.max_entries = config.arp.max_entries;
  settings.neighbor.max_pending_packets = config.arp.max_pending_packets;

  settings.reassembly.timeout = config.ipv4.reassembly_timeout;
  settings.reassembly.memory_limit = static_cast<std::size_t>(config.ipv4.reassembly_memory);
  settings.tcp = tcp_settings(config.tcp);
  return settings;
}

TcpSettings tcp_settings(const config::TcpConfig& tcp) {
  TcpSettings settings;
  settings.rto = RtoSettings{.min = tcp.rto_min, .max = tcp.rto_max, .initial = tcp.rto_initial};
  settings.max_retransmissions = tcp.retries;
  settings.syn_retries = tcp.syn_retries;
  settings.synack_retries = tcp.synack_retries;
  settings.delayed_ack = tcp.delayed_ack;
  settings.time_wait = tcp.time_wait;
  settings.fin_timeout = tcp.fin_timeout;
  settings.keepalive_idle = tcp.keepalive_idle;
  settings.keepalive_interval = tcp.keepalive_interval;
  settings.keepalive_count = tcp.keepalive_count;
  settings.send_buffer = static_cast<std::size_t>(tcp.send_buffer);
  settings.receive_buffer = static_cast<std::size_t>(tcp.receive_buffer);
  settings.receive_buffer_max = static_cast<std::size_t>(tcp.receive_buffer_max);
  settings.send_buffer_max = static_cast<std::size_t>(tcp.send_buffer_max);
  settings.congestion = tcp.congestion;
  settings.timestamps = tcp.timestamps;
  settings.sack = tcp.sack;
  settings.window_scaling = tcp.window_scaling;
  settings.syn_backlog = tcp.syn_backlog;
  settings.syn_cookies = tcp.syn_cookies;
  settings.ephemeral_first = tcp.ephemeral_first;
  settings.ephemeral_last = tcp.ephemeral_last;
  settings.max_connections = tcp.max_connections;
  return settings;
}

InterfaceSettings interface_settings(const config::InterfaceConfig& interface, bool offloads) {
  assert(!interface.addresses.empty());
  InterfaceSettings settings;
  settings.mac = interface.mac.value_or(default_mac(interface.addresses.front().address()));
  settings.mtu = interface.mtu;
  settings.addresses = interface.addresses;
  settings.offloads = offloads;
  return settings;
}

tapdev::FrameIoSettings frame_io_settings(const config::TapConfig& tap, std::uint16_t mtu,
                                          bool offloads) {
  return tapdev::FrameIoSettings{
      .rx_buffers = tap.rx_buffers,
      .tx_buffers = tap.tx_buffers,
      .rx_buffer_size = kEthernetHeaderSize + (offloads ? kMaxIpv4Datagram : std::size_t{mtu}),
      .virtio_net_header = offloads};
}

}  // namespace tapstack::daemon
