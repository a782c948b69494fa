// Vocabulary of the UDP layer (RFC 768, RFC 1122 §4.1): stack-wide settings, per-socket options
// (the setsockopt values that matter to UDP), events and the results of a receive.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "stack/socket/socket_types.hpp"

namespace tapstack {

// Stack-wide UDP defaults (config `udp:`). Values follow Linux's defaults unless noted.
struct UdpSettings {
  std::size_t receive_buffer = 212992;               // net.core.rmem_default, bytes per socket
  std::size_t receive_buffer_max = 4 * 1024 * 1024;  // cap on SO_RCVBUF (net.core.rmem_max)
  std::uint32_t max_sockets = 65536;                 // open() fails with no_buffer_space beyond
  std::uint16_t ephemeral_first = 32768;             // ip_local_port_range
  std::uint16_t ephemeral_last = 60999;
  // TX frames a datagram must leave free for ACKs, ARP and ICMP while the device queue is busy
  // (TCP keeps the same reserve), at most a quarter of the queue; a sender that would dip into
  // it gets would_block.
  std::size_t tx_reserve_frames = 64;
};

// Per-socket options (setsockopt).
struct UdpSocketOptions {
  // SO_REUSEADDR: two sockets may bind overlapping addresses on one port only if both set it
  // (Linux, UDP without SO_REUSEPORT). Unicast datagrams then go to the best match, the most
  // recently bound among equals; broadcasts go to every match.
  bool reuse_address = false;
  bool broadcast = false;  // SO_BROADCAST: may send to a broadcast address (else EACCES)
  // SO_RCVBUF in bytes as UdpReceiveQueue accounts them (not doubled); 0: the stack default.
  std::size_t receive_buffer = 0;
  bool operator==(const UdpSocketOptions&) const = default;
};

namespace udp_event {
inline constexpr std::uint8_t readable = 0x01;  // the receive queue became non-empty, or an error
inline constexpr std::uint8_t writable = 0x02;  // TX room again after a send gave would_block
inline constexpr std::uint8_t error = 0x08;     // an asynchronous error is pending (take_error)
}  // namespace udp_event

struct UdpSocketEvent {
  SocketHandle socket;
  std::uint8_t events = 0;  // udp_event bits
};

// What one receive() took from the queue (or looked at, with peek).
struct UdpReceived {
  std::size_t size = 0;  // bytes copied into the caller's buffer
  std::size_t datagram_size =
      0;  // the whole datagram: larger than `size` when truncated (MSG_TRUNC)
  SocketAddress source;
  // RFC 1122 §4.1.3.5: the specific destination, for a socket bound to INADDR_ANY (IP_PKTINFO):
  // one of our addresses or a broadcast address.
  Ipv4Addr destination;
};

// One line of `tapstackctl sockets` (like `ss -uane`).
struct UdpSocketSummary {
  SocketHandle handle;
  SocketAddress local;                  // port 0: not bound yet
  std::optional<SocketAddress> remote;  // the connected peer
  std::size_t queued_bytes = 0;         // receive queue, as accounted against its limit
  std::size_t queued_datagrams = 0;
  std::size_t receive_buffer = 0;  // the queue's limit in bytes
};

}  // namespace tapstack
