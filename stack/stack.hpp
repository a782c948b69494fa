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
#include "stack/base/result.hpp"
#include "stack/base/time.hpp"
#include "stack/buffer/packet_buffer.hpp"
#include "stack/ipv4/reassembly.hpp"
#include "stack/link/receive_offload.hpp"
#include "stack/stack_tables.hpp"
#include "stack/stats/counters.hpp"
#include "stack/tcp/tcp_types.hpp"
#include "stack/udp/udp_types.hpp"

namespace tapstack {

struct InterfaceSettings {
  MacAddr mac;
  std::uint16_t mtu = 1500;         // IP MTU: bytes after the Ethernet header
  std::vector<Ipv4Cidr> addresses;  // the stack's addresses; each adds an on-link route
  // The device takes TCP segments up to 64 KB with partial checksums and cuts them (TSO), and
  // TxFrame buffers carry the work left (PacketBuffer::offload). Needs StackSettings::
  // gso_buffer_count > 0.
  bool offloads = false;
};

struct StackSettings {
  std::uint64_t seed = 1;  // random source (IP ids, later ISNs and ports)
  std::uint8_t default_ttl = 64;
  std::size_t tx_queue_frames = 1024;  // frames waiting for the device
  std::size_t tx_buffer_count = 2048;  // pool of TX buffers shared by all queues
  std::uint16_t max_mtu = 1500;        // sizes the TX buffers; no interface may exceed it
  // 64 KB buffers for TCP segments the device cuts (TSO), beside the MTU-sized ones. When all
  // are in use, TCP sends MTU-sized segments.
  std::size_t gso_buffer_count = 0;
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
  // Adds a static route to `prefix` through `gateway`, which must be on-link on some interface.
  // False if it is not, or a route for that prefix exists, or the table is full.
  bool add_static_route(Ipv4Cidr prefix, Ipv4Addr gateway);

  // Adds an address at run time (issue 9): a unicast host address, not the network or broadcast
  // address of its subnet (unless /31 or /32, RFC 3021), not ours already on any interface. Adds
  // the on-link route for its subnet unless a route for that prefix exists, and announces it
  // (RFC 5227 §2.3, as add_interface) so neighbours learn it at once. Nothing changes on error.
  Result<void, AddressError> add_address(InterfaceId interface, Ipv4Cidr address, Instant now);
  // Removes an address. Its TCP connections are reset (TcpLayer::reset_local_address); listeners
  // and UDP sockets bound to it stay but receive nothing more. Routes that used it as their
  // source move to another address of the interface that keeps them usable (for the on-link
  // route: one in the same subnet; for a gateway route: one on the gateway's subnet), or go.
  // The last address of an interface may go: the interface then answers nothing.
  Result<void, AddressError> remove_address(InterfaceId interface, Ipv4Addr address, Instant now);

  // Copies of the tables for the control interface (stack_tables.hpp); they allocate.
  std::vector<InterfaceSummary> interfaces() const;
  std::vector<RouteSummary> routes() const;  // longest prefix first
  // Every interface's neighbour cache, by interface then address. `now` gives the ages.
  std::vector<NeighborSummary> neighbors(Instant now) const;

  // Processes one received Ethernet frame. The frame is borrowed for the duration of the call;
  // anything kept is copied into bounded stack-owned storage. `offload`: what the device says
  // of the frame. A checksum it vouches for (virtio-net DATA_VALID or NEEDS_CSUM: verified, or
  // never computed because the packet comes from the host's memory) is not checked. The frame
  // may then be larger than the MTU: a TCP segment coalesced by the host (GRO/TSO), taken
  // whole, or a UDP datagram sent with UDP_SEGMENT (USO), delivered as one datagram per
  // offload.gso_size bytes of payload.
  void receive(InterfaceId interface, std::span<const std::byte> frame, Instant now,
               const ReceiveOffload& offload = {});
  // Frames received between these two calls are one batch (all the device had ready): TCP
  // sends one routine ACK per connection for it at its end, instead of one every second
  // segment, as the kernel does for a GRO-coalesced segment (TcpLayer::begin_batch).
  void begin_receive_batch();
  void end_receive_batch(Instant now);
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
