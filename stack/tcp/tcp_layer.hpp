// TCP for the whole stack: demultiplexing segments to connections (RFC 9293 §3.10.7),
// listeners with SYN and accept queues and SYN cookies, resets for segments that belong to
// no connection, ephemeral ports (RFC 6056), ISNs (RFC 6528), one deadline queue for every
// connection's timers, and the socket API the daemon calls through handles.
#pragma once

#include <deque>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "stack/base/random.hpp"
#include "stack/ipv4/ipv4_layer.hpp"
#include "stack/tcp/connection.hpp"
#include "stack/tcp/deadline_queue.hpp"
#include "stack/tcp/ephemeral_ports.hpp"
#include "stack/tcp/isn_generator.hpp"
#include "stack/tcp/syn_cookies.hpp"

namespace tapstack {

struct TcpSocketEvent {
  SocketHandle socket;
  std::uint8_t events = 0;  // tcp_event bits; for a listener, `readable` = accept queue non-empty
};

// One line of `tapstackctl sockets` (like `ss -tanie`).
struct TcpSocketSummary {
  SocketHandle handle;
  TcpState state = TcpState::closed;  // LISTEN for a listener
  SocketAddress local;
  SocketAddress remote;                   // unspecified for a listener
  std::optional<TcpConnectionInfo> info;  // connections only
  std::uint32_t accept_queue = 0;         // listener: connections waiting for accept()
  std::uint32_t backlog = 0;              // listener
  bool orphan = false;  // closed by its owner, finishing on its own (FIN-WAIT, TIME-WAIT, ...)
};

class TcpLayer final : public SegmentOutput {
 public:
  TcpLayer(const TcpSettings& settings, Ipv4Layer& ipv4, RouteTable& routes,
           InterfaceTable& interfaces, Random& random, Counters& counters);
  ~TcpLayer() override;

  void receive(const Ipv4Datagram& datagram, Instant now);
  // Segments received between begin_batch() and end_batch() are one batch (what the device had
  // ready): their routine ACKs wait for end_batch(), one per connection, as GRO would make one.
  void begin_batch() { in_batch_ = true; }
  void end_batch(Instant now);
  void poll(Instant now);
  // New defaults (a configuration reload): connections opened from now on take them, and the
  // timers of existing ones, which read the layer's settings, follow. The ephemeral port range
  // stays: its allocator is built once.
  void update_settings(const TcpSettings& settings);
  const TcpSettings& settings() const { return settings_; }
  // The earliest timer; "already due" while blocked senders could resume (see has_room).
  Instant next_deadline() const;

  // Socket API. Errors are the kernel's (see SocketError).
  Result<SocketHandle, SocketError> listen(SocketAddress local, std::uint32_t backlog,
                                           const TcpSocketOptions& options);
  Result<SocketHandle, SocketError> accept(SocketHandle listener);
  // Starts an active open; completion arrives as a `connected` or `error` event. An
  // unspecified local address or port is chosen from the route and the ephemeral range.
  Result<SocketHandle, SocketError> connect(SocketAddress local, SocketAddress remote,
                                            const TcpSocketOptions& options, Instant now);
  Result<std::size_t, SocketError> send(SocketHandle socket, wire::Bytes data, Instant now);
  Result<std::size_t, SocketError> receive(SocketHandle socket, wire::MutableBytes out, bool peek,
                                           Instant now);
  // Zero-copy receive (TcpConnection::readable_bytes): the bytes waiting, in place, valid until
  // the next call into this layer. Both pieces empty: end of stream.
  Result<std::array<wire::Bytes, 2>, SocketError> readable_bytes(SocketHandle socket);
  // Takes the first `count` of those bytes (no more than there are): receive() without the copy.
  Result<void, SocketError> consume(SocketHandle socket, std::size_t count, Instant now);
  Result<void, SocketError> shutdown_send(SocketHandle socket, Instant now);
  Result<void, SocketError> set_options(SocketHandle socket, const TcpSocketOptions& options,
                                        Instant now);
  // Releases the handle. A connection closes gracefully on its own (or resets if unread data
  // remains); a listener resets its queued connections.
  void close(SocketHandle socket, Instant now);
  void abort(SocketHandle socket, Instant now);
  // The local address went away (Stack::remove_address): every connection on it is reset, a
  // RST to the peer in the synchronized states (RFC 9293 §3.10.5) and connection_reset for its
  // owner. Listeners bound to it stay; the IP layer simply no longer delivers to it. Returns the
  // number of connections reset (counted as tcp_reset_address_removed).
  std::size_t reset_local_address(Ipv4Addr address, Instant now);

  const TcpConnection* connection(SocketHandle socket) const;
  std::optional<SocketAddress> local_address(SocketHandle socket) const;
  std::optional<SocketError> take_error(SocketHandle socket);
  // The next socket with events since it was last reported; nullopt when none.
  std::optional<TcpSocketEvent> pop_event();
  std::size_t connection_count() const { return demux_.size(); }
  // Every listener and connection, including orphans and connections not yet accepted.
  std::vector<TcpSocketSummary> snapshot() const;
  std::size_t socket_count() const { return slots_.size() - free_slots_.size(); }

 private:
  struct Listener {
    SocketAddress local;
    std::uint32_t backlog = 0;
    TcpSocketOptions options;
    std::deque<std::uint32_t> accept_queue;  // established children, oldest first
    std::uint32_t half_open = 0;             // children in SYN-RECEIVED
  };
  struct Slot {
    std::uint32_t generation = 0;
    std::unique_ptr<TcpConnection> connection;
    std::unique_ptr<Listener> listener;
    std::optional<std::uint32_t> parent;  // the listener of a connection not yet accepted
    bool user_owned = false;
    bool queued_event = false;
    std::uint8_t pending_events = 0;
    TcpState last_state = TcpState::closed;
    bool blocked = false;  // in blocked_: waiting for room in the TX queue  // as after the
                           // previous call: counts transitions
  };

  void transmit(const FourTuple& tuple, const wire::TcpHeader& header,
                std::span<const wire::Bytes> payload, std::uint32_t segment_size) override;
  bool has_room() const override;
  bool has_large_room() const override;
  bool in_receive_batch() const override { return in_batch_; }
  bool route_offloads(Ipv4Addr remote) const;
  void resume_blocked(Instant now);
  Slot* find(SocketHandle socket);
  const Slot* find(SocketHandle socket) const;
  std::uint32_t allocate_slot();
  void free_slot(std::uint32_t index);
  void after_call(std::uint32_t index);
  void notify(std::uint32_t index, std::uint8_t events);
  void count_transition(Slot& slot, const TcpConnection& connection);
  std::optional<std::uint32_t> find_listener(Ipv4Addr address, std::uint16_t port) const;
  void on_listener_segment(std::uint32_t listener, const FourTuple& tuple, const SegmentIn& seg,
                           Instant now);
  void accept_syn(std::uint32_t listener, const FourTuple& tuple, const SegmentIn& seg,
                  Instant now);
  void send_cookie_syn_ack(const FourTuple& tuple, const SegmentIn& syn, Instant now);
  void accept_cookie(std::uint32_t listener, const FourTuple& tuple, const SegmentIn& ack,
                     Instant now);
  void reset_unknown(const FourTuple& tuple, const SegmentIn& seg);
  std::uint32_t create_connection(const FourTuple& tuple, const TcpSocketOptions& options,
                                  Instant now);
  std::uint16_t route_mtu(Ipv4Addr remote) const;
  std::uint32_t ts_offset(const FourTuple& tuple) const;
  std::uint32_t ts_now(const FourTuple& tuple, Instant now) const;
  bool port_in_use(Ipv4Addr local, std::uint16_t port) const;

  TcpSettings settings_;
  Ipv4Layer& ipv4_;
  RouteTable& routes_;
  InterfaceTable& interfaces_;
  Counters& counters_;
  IsnGenerator isn_;
  SynCookies cookies_;
  SipKey ts_secret_;
  EphemeralPorts ports_;
  DeadlineQueue deadlines_;
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_slots_;
  std::unordered_map<FourTuple, std::uint32_t, FourTupleHash> demux_;
  std::vector<std::uint32_t> listeners_;
  std::deque<std::uint32_t> event_queue_;
  std::deque<std::uint32_t> blocked_;   // connections whose output waits for TX room, in order
  std::vector<DeadlineQueue::Id> due_;  // scratch for poll()
  bool in_batch_ = false;
  // Connections holding a routine ACK until end_batch(): slot index and generation.
  std::vector<std::pair<std::uint32_t, std::uint32_t>> deferred_acks_;
  Instant now_;  // of the current entry point, for transmit()
};

}  // namespace tapstack
