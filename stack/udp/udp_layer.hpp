// UDP for the whole stack (RFC 768, RFC 1122 §4.1): sockets named by handles, bind with
// ephemeral ports (RFC 6056) and SO_REUSEADDR, connect, send/receive with the source address,
// demultiplexing of received datagrams (unicast to the best-matching socket, broadcast to every
// matching one), bounded receive queues, ICMP port unreachable for connected sockets
// (RFC 1122 §4.1.3.3), and back-pressure from the device queue.
#pragma once

#include <cstdint>
#include <deque>
#include <unordered_map>
#include <vector>

#include "stack/base/random.hpp"
#include "stack/base/result.hpp"
#include "stack/icmp/icmp_layer.hpp"
#include "stack/ipv4/ipv4_layer.hpp"
#include "stack/tcp/ephemeral_ports.hpp"
#include "stack/udp/udp_receive_queue.hpp"
#include "stack/udp/udp_types.hpp"
#include "stack/wire/udp.hpp"

namespace tapstack {

class UdpLayer final : public IcmpErrorHandler {
 public:
  // The largest payload: 65535 minus the IPv4 and UDP headers (Linux, EMSGSIZE beyond).
  static constexpr std::size_t kMaxPayload = 65507;

  // What receive() did with a datagram; `no_socket` asks the caller for an ICMP port
  // unreachable (RFC 1122 §4.1.3.1), which IcmpLayer never sends for a broadcast.
  enum class Delivery : std::uint8_t { delivered, dropped, no_socket };

  // `tx_frames` is the device queue's capacity in frames (the smaller of queue and pool):
  // a datagram needing more fragments than that can never be sent.
  UdpLayer(const UdpSettings& settings, std::size_t tx_frames, Ipv4Layer& ipv4, RouteTable& routes,
           InterfaceTable& interfaces, Random& random, Counters& counters);

  Delivery receive(const Ipv4Datagram& datagram, Instant now);
  // A destination unreachable quoting a UDP datagram we sent.
  void on_unreachable(wire::UnreachableCode code, const IcmpQuote& quote, Instant now) override;
  // Reports `writable` to senders that got would_block once their datagram fits again.
  void poll();
  // "Already due" while a blocked sender could be woken; kNever otherwise (UDP has no timers).
  Instant next_deadline() const;

  // Socket API. Errors are the kernel's (see SocketError).
  // A new, unbound socket (socket(AF_INET, SOCK_DGRAM)).
  Result<SocketHandle, SocketError> open(const UdpSocketOptions& options);
  // Binds to INADDR_ANY or one of our (unicast or broadcast) addresses; port 0 picks an
  // ephemeral port. invalid_argument if already bound.
  Result<void, SocketError> bind(SocketHandle socket, SocketAddress local);
  // Sets the default destination and accepts datagrams from it only; binds an ephemeral port
  // and the route's source address if not bound yet. May be called again to change the peer.
  Result<void, SocketError> connect(SocketHandle socket, SocketAddress remote);
  // connect(AF_UNSPEC): forgets the peer; an address or port that bind() did not set explicitly
  // is released, as Linux does.
  Result<void, SocketError> disconnect(SocketHandle socket);
  // Sends one datagram to the connected peer (destination_required if none).
  Result<std::size_t, SocketError> send(SocketHandle socket, wire::Bytes payload, Instant now);
  // Sends one datagram to `remote`; an unbound socket is bound to an ephemeral port first.
  Result<std::size_t, SocketError> send_to(SocketHandle socket, SocketAddress remote,
                                           wire::Bytes payload, Instant now);
  // Copies the oldest datagram (its first out.size() bytes) and removes it unless `peek`. A
  // pending error is returned first (and cleared); would_block when the queue is empty.
  Result<UdpReceived, SocketError> receive(SocketHandle socket, wire::MutableBytes out, bool peek);
  Result<void, SocketError> set_options(SocketHandle socket, const UdpSocketOptions& options);
  // Releases the handle and drops the queued datagrams.
  void close(SocketHandle socket);

  Result<UdpSocketOptions, SocketError> options(SocketHandle socket) const;
  // getsockname: port 0 while unbound.
  Result<SocketAddress, SocketError> local_address(SocketHandle socket) const;
  // getpeername: not_connected without a peer.
  Result<SocketAddress, SocketError> remote_address(SocketHandle socket) const;
  // SO_ERROR: the pending asynchronous error, cleared by the call.
  std::optional<SocketError> take_error(SocketHandle socket);
  // The next socket with events since it was last reported; nullopt when none.
  std::optional<UdpSocketEvent> pop_event();
  std::vector<UdpSocketSummary> snapshot() const;
  std::size_t socket_count() const { return slots_.size() - free_slots_.size(); }

 private:
  struct Slot {
    std::uint32_t generation = 0;
    bool open = false;
    UdpSocketOptions options;
    SocketAddress local;  // port 0: unbound
    std::optional<SocketAddress> remote;
    bool address_locked = false;   // bind() chose the address: kept by disconnect()
    bool port_locked = false;      // bind() chose the port
    std::uint64_t bind_order = 0;  // later binds win ties in lookup()
    UdpReceiveQueue queue{0};
    std::optional<SocketError> error;
    bool queued_event = false;
    std::uint8_t pending_events = 0;
    std::size_t blocked_frames = 0;  // > 0 (and in blocked_): waiting for this much TX room
  };

  Slot* find(SocketHandle socket);
  const Slot* find(SocketHandle socket) const;
  std::size_t queue_limit(const UdpSocketOptions& options) const;
  void notify(std::uint32_t index, std::uint8_t events);
  void free_slot(std::uint32_t index);

  // Port table (udp_demux.cpp).
  void attach(std::uint32_t index, SocketAddress local);
  void detach(std::uint32_t index);
  bool port_in_use(Ipv4Addr address, std::uint16_t port) const;
  bool conflicts(std::uint32_t index, SocketAddress local) const;
  bool autobind(std::uint32_t index, Ipv4Addr address, SocketAddress remote);
  std::optional<std::uint32_t> lookup(SocketAddress local, SocketAddress remote) const;
  Delivery deliver_broadcast(const Ipv4Datagram& datagram, std::uint16_t port, SocketAddress source,
                             wire::Bytes payload);
  bool enqueue(std::uint32_t index, SocketAddress source, Ipv4Addr destination,
               wire::Bytes payload);

  // Output.
  Result<std::size_t, SocketError> send_datagram(std::uint32_t index, SocketAddress remote,
                                                 wire::Bytes payload, Instant now);
  Result<RouteLookup, SocketError> route_to(const Slot& slot, SocketAddress remote) const;
  std::size_t mtu_of(InterfaceId id) const;
  bool fits(std::size_t frames) const;

  UdpSettings settings_;
  std::size_t tx_frames_;
  std::size_t tx_reserve_;  // settings_.tx_reserve_frames, at most a quarter of tx_frames_
  Ipv4Layer& ipv4_;
  RouteTable& routes_;
  InterfaceTable& interfaces_;
  Counters& counters_;
  EphemeralPorts ports_;
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_slots_;
  // Bound sockets by local port; a port holds several only with SO_REUSEADDR.
  std::unordered_map<std::uint16_t, std::vector<std::uint32_t>> by_port_;
  std::uint64_t next_bind_order_ = 1;
  std::deque<std::uint32_t> event_queue_;  // sockets with events; closed ones are skipped
  std::vector<std::uint32_t> blocked_;     // senders that got would_block, oldest first
};

}  // namespace tapstack
