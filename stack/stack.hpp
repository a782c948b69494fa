// The Stack: the whole protocol core behind one object (DESIGN.md §1, §2.4).
//
// Frames and the current time go in; frames and the next deadline come out. The Stack owns its
// tables (interfaces, neighbours, routes, reassembly, counters) and never performs I/O, reads a
// clock or touches a global. Not thread-safe: one Stack per event loop.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "stack/arp/neighbor_cache.hpp"
#include "stack/base/address.hpp"
#include "stack/base/interface_id.hpp"
#include "stack/base/time.hpp"
#include "stack/buffer/packet_buffer.hpp"
#include "stack/ipv4/reassembly.hpp"
#include "stack/stats/counters.hpp"
#include "stack/tcp/tcp_types.hpp"
#include "stack/udp/udp_types.hpp"

namespace tapstack {

struct InterfaceSettings {
  MacAddr mac;
  std::uint16_t mtu = 1500;         // IP MTU: bytes after the Ethernet header
  std::vector<Ipv4Cidr> addresses;  // the stack's addresses; each adds an on-link route
};

struct StackSettings {
  std::uint64_t seed = 1;  // random source (IP ids, later ISNs and ports)
  std::uint8_t default_ttl = 64;
  std::size_t tx_queue_frames = 1024;  // frames waiting for the device
  std::size_t tx_buffer_count = 2048;  // pool of TX buffers shared by all queues
  std::uint16_t max_mtu = 1500;        // sizes the TX buffers; no interface may exceed it
  NeighborSettings neighbor;
  ReassemblySettings reassembly;
  TcpSettings tcp;
  UdpSettings udp;
};

// A frame ready for a device. The receiver owns the buffer; dropping it returns it to the pool.
struct TxFrame {
  InterfaceId interface = 0;
  PacketBuffer frame;
};

class TcpLayer;
class UdpLayer;

class Stack {
 public:
  explicit Stack(const StackSettings& settings);
  ~Stack();
  Stack(const Stack&) = delete;
  Stack& operator=(const Stack&) = delete;

  // Adds an interface with its addresses and on-link routes; queues a gratuitous ARP for each
  // address (RFC 5227 §3 announcement) so neighbours update stale entries.
  InterfaceId add_interface(const InterfaceSettings& settings, Instant now);
  // Adds a default route through `gateway`, which must be on-link on some interface.
  bool set_default_gateway(Ipv4Addr gateway);

  // Processes one received Ethernet frame. The frame is borrowed for the duration of the call;
  // anything kept is copied into bounded stack-owned storage.
  void receive(InterfaceId interface, std::span<const std::byte> frame, Instant now);
  // Runs timers due at `now` (ARP retries and aging, reassembly timeouts, TCP timers).
  void poll(Instant now);
  // The earliest instant at which poll() has work; kNever if none.
  Instant next_deadline() const;

  // Takes the next frame to transmit, in order; nullopt when none is queued.
  std::optional<TxFrame> pop_tx();
  std::size_t tx_pending() const;

  const Counters& counters() const;

  // The TCP sockets (listen, connect, send, receive, events). Calls on it may queue frames.
  TcpLayer& tcp();
  const TcpLayer& tcp() const;
  // The UDP sockets (open, bind, connect, send, receive, events). Calls on it may queue frames.
  UdpLayer& udp();
  const UdpLayer& udp() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tapstack
