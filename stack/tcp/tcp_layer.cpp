#include "stack/tcp/tcp_layer.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace tapstack {
namespace {

using wire::TcpFlags;

constexpr std::uint8_t kIpProtocolTcp = 6;
// TX frames kept free for ACKs, resets, ARP and ICMP when data senders back off.
constexpr std::size_t kControlReserve = 64;

std::uint8_t window_scale_for(std::size_t buffer) {
  std::uint8_t shift = 0;
  while (shift < 14 && (buffer >> shift) > 0xffff) ++shift;
  return shift;
}

Counter counter_for(wire::TcpError error) {
  switch (error) {
    case wire::TcpError::truncated:
      return Counter::tcp_drop_truncated;
    case wire::TcpError::bad_data_offset:
      return Counter::tcp_drop_bad_data_offset;
    case wire::TcpError::bad_checksum:
      return Counter::tcp_drop_bad_checksum;
    case wire::TcpError::bad_options:
      return Counter::tcp_drop_bad_options;
  }
  return Counter::tcp_drop_truncated;
}

}  // namespace

TcpLayer::TcpLayer(const TcpSettings& settings, Ipv4Layer& ipv4, RouteTable& routes,
                   InterfaceTable& interfaces, Random& random, Counters& counters)
    : settings_(settings),
      ipv4_(ipv4),
      routes_(routes),
      interfaces_(interfaces),
      counters_(counters),
      isn_(random),
      cookies_(random),
      ts_secret_(SipKey::random(random)),
      ports_(random, settings.ephemeral_first, settings.ephemeral_last) {}

TcpLayer::~TcpLayer() = default;

void TcpLayer::update_settings(const TcpSettings& settings) {
  const std::uint16_t first = settings_.ephemeral_first;
  const std::uint16_t last = settings_.ephemeral_last;
  settings_ = settings;
  settings_.ephemeral_first = first;
  settings_.ephemeral_last = last;
}

// ---- receive path -------------------------------------------------------------------------

void TcpLayer::receive(const Ipv4Datagram& datagram, Instant now) {
  now_ = now;
  counters_.add(Counter::tcp_rx_segments);
  if (datagram.broadcast) {  // RFC 1122 §4.2.3.10: TCP is unicast only
    counters_.add(Counter::tcp_drop_broadcast);
    return;
  }
  // A packet the host meant to cut into UDP datagrams (USO) is no TCP segment: a device that
  // says so of a TCP packet is wrong about it, so nothing else it says can be trusted.
  if (datagram.offload.gso == ReceiveGso::udp) {
    counters_.add(Counter::tcp_drop_bad_gso);
    return;
  }
  const auto view = wire::TcpView::check(datagram.payload, datagram.source, datagram.destination,
                                         !datagram.offload.checksum_trusted);
  if (!view) {
    counters_.add(counter_for(view.error()));
    return;
  }
  const auto options = view->options();
  if (!options) {
    counters_.add(counter_for(options.error()));
    return;
  }
  const SegmentIn seg{view->seq(),    view->ack(), view->flags(),
                      view->window(), *options,    view->payload()};
  const FourTuple tuple{datagram.destination, view->destination_port(), datagram.source,
                        view->source_port()};
  if (const auto it = demux_.find(tuple); it != demux_.end()) {
    const std::uint32_t index = it->second;
    TcpConnection& conn = *slots_[index].connection;
    const bool fresh_syn = seg.has(TcpFlags::syn) && !seg.has(TcpFlags::ack);
    if (!(fresh_syn && conn.may_reuse_for(seg))) {
      conn.on_segment(seg, now);
      if (in_batch_ && conn.ack_deferred() &&
          (deferred_acks_.empty() || deferred_acks_.back().first != index)) {
        deferred_acks_.emplace_back(index, slots_[index].generation);
      }
      after_call(index);
      return;
    }
    // RFC 6191: a new incarnation replaces the connection in TIME-WAIT.
    counters_.add(Counter::tcp_time_wait_reused);
    conn.abort(now);
    after_call(index);
    if (const auto again = demux_.find(tuple); again != demux_.end()) free_slot(again->second);
  }
  if (const auto listener = find_listener(datagram.destination, tuple.local_port)) {
    on_listener_segment(*listener, tuple, seg, now);
    return;
  }
  counters_.add(Counter::tcp_rx_no_socket);
  reset_unknown(tuple, seg);
}

void TcpLayer::end_batch(Instant now) {
  now_ = now;
  in_batch_ = false;
  for (const auto& [index, generation] : deferred_acks_) {
    Slot& slot = slots_[index];
    if (slot.generation != generation || !slot.connection) continue;  // gone meanwhile
    slot.connection->send_deferred_ack(now);
    after_call(index);
  }
  deferred_acks_.clear();
}

// RFC 9293 §3.10.7.1: a segment for no connection gets a reset, unless it is one.
void TcpLayer::reset_unknown(const FourTuple& tuple, const SegmentIn& seg) {
  if (seg.has(TcpFlags::rst)) return;
  wire::TcpHeader h;
  h.source_port = tuple.local_port;
  h.destination_port = tuple.remote_port;
  if (seg.has(TcpFlags::ack)) {
    h.seq = seg.ack;
    h.flags = TcpFlags::rst;
  } else {
    h.ack = seg.seq + seg.length();
    h.flags = TcpFlags::rst | TcpFlags::ack;
  }
  counters_.add(Counter::tcp_tx_resets);
  transmit(tuple, h, {}, 0);
}

// RFC 9293 §3.10.7.2.
void TcpLayer::on_listener_segment(std::uint32_t listener, const FourTuple& tuple,
                                   const SegmentIn& seg, Instant now) {
  if (seg.has(TcpFlags::rst)) return;
  if (seg.has(TcpFlags::ack)) {
    if (!seg.has(TcpFlags::syn) && settings_.syn_cookies) {
      accept_cookie(listener, tuple, seg, now);
      return;
    }
    reset_unknown(tuple, seg);
    return;
  }
  // Without SYN there is nothing to open (null, FIN, Xmas probes); SYN+FIN is no opening either
  // (Linux drops both in LISTEN). Counted: scanners send them by the thousand.
  if (!seg.has(TcpFlags::syn) || seg.has(TcpFlags::fin)) {
    counters_.add(Counter::tcp_drop_listen_bad_flags);
    return;
  }
  accept_syn(listener, tuple, seg, now);
}

void TcpLayer::accept_syn(std::uint32_t listener_index, const FourTuple& tuple,
                          const SegmentIn& seg, Instant now) {
  Listener& listener = *slots_[listener_index].listener;
  if (listener.accept_queue.size() >= listener.backlog) {
    counters_.add(Counter::tcp_listen_overflow);  // Linux drops SYNs while the queue is full
    return;
  }
  if (listener.half_open >= settings_.syn_backlog || demux_.size() >= settings_.max_connections) {
    if (settings_.syn_cookies) {
      send_cookie_syn_ack(tuple, seg, now);
    } else {
      counters_.add(Counter::tcp_syn_queue_overflow);
    }
    return;
  }
  const std::uint32_t index = create_connection(tuple, listener.options, now);
  slots_[index].parent = listener_index;
  ++slots_[listener_index].listener->half_open;
  slots_[index].connection->open_passive(seg, isn_.next(tuple, now), now);
  after_call(index);
}

// Answers a SYN without keeping state (SYN queue full): the options live in the cookie.
// Without timestamps only the MSS survives, so we offer no other option (as Linux).
void TcpLayer::send_cookie_syn_ack(const FourTuple& tuple, const SegmentIn& syn, Instant now) {
  const bool ts = settings_.timestamps && syn.options.timestamps.has_value();
  SynCookieOptions wanted;
  wanted.mss = syn.options.mss.value_or(536);
  if (ts && settings_.window_scaling && syn.options.window_scale) {
    wanted.window_scale = syn.options.window_scale;
  }
  wanted.sack_permitted = ts && settings_.sack && syn.options.sack_permitted;
  const auto cookie = cookies_.encode(tuple, syn.seq, wanted, ts, ts_now(tuple, now), now);
  wire::TcpHeader h;
  h.source_port = tuple.local_port;
  h.destination_port = tuple.remote_port;
  h.seq = cookie.isn;
  h.ack = syn.seq + 1;
  h.flags = TcpFlags::syn | TcpFlags::ack;
  h.window = static_cast<std::uint16_t>(std::min<std::size_t>(settings_.receive_buffer, 0xffff));
  h.options.mss = static_cast<std::uint16_t>(route_mtu(tuple.remote_addr) - 40);
  if (wanted.window_scale) {
    h.options.window_scale = window_scale_for(settings_.receive_buffer_max);
  }
  h.options.sack_permitted = wanted.sack_permitted;
  if (ts && cookie.tsval) {
    h.options.timestamps = wire::TcpTimestamps{*cookie.tsval, syn.options.timestamps->value};
  }
  counters_.add(Counter::tcp_syncookies_sent);
  transmit(tuple, h, {}, 0);
}

void TcpLayer::accept_cookie(std::uint32_t listener_index, const FourTuple& tuple,
                             const SegmentIn& ack, Instant now) {
  const std::optional<std::uint32_t> tsecr =
      ack.options.timestamps ? std::optional{ack.options.timestamps->echo_reply} : std::nullopt;
  const auto cookie = cookies_.decode(tuple, ack.ack, ack.seq, tsecr, now);
  if (!cookie) {
    counters_.add(Counter::tcp_syncookies_failed);
    reset_unknown(tuple, ack);
    return;
  }
  Listener& listener = *slots_[listener_index].listener;
  if (listener.accept_queue.size() >= listener.backlog) {
    counters_.add(Counter::tcp_listen_overflow);
    return;
  }
  counters_.add(Counter::tcp_syncookies_received);
  const std::uint32_t index = create_connection(tuple, listener.options, now);
  slots_[index].parent = listener_index;
  ++slots_[listener_index].listener->half_open;       // handed to the accept queue in after_call
  slots_[index].last_state = TcpState::syn_received;  // the cookie stood for SYN-RECEIVED
  slots_[index].connection->open_from_cookie(ack, ack.ack - 1, *cookie, now);
  after_call(index);
}

// ---- bookkeeping --------------------------------------------------------------------------

std::uint32_t TcpLayer::allocate_slot() {
  if (!free_slots_.empty()) {
    const std::uint32_t index = free_slots_.back();
    free_slots_.pop_back();
    return index;
  }
  slots_.emplace_back();
  return static_cast<std::uint32_t>(slots_.size() - 1);
}

void TcpLayer::free_slot(std::uint32_t index) {
  Slot& slot = slots_[index];
  if (slot.connection) {
    const auto it = demux_.find(slot.connection->tuple());
    if (it != demux_.end() && it->second == index) demux_.erase(it);
  }
  if (slot.listener) std::erase(listeners_, index);
  deadlines_.cancel(index);
  const std::uint32_t generation = slot.generation + 1;
  slot = Slot{};
  slot.generation = generation;
  free_slots_.push_back(index);
}

std::uint32_t TcpLayer::create_connection(const FourTuple& tuple, const TcpSocketOptions& options,
                                          Instant now) {
  const std::uint32_t index = allocate_slot();
  slots_[index].connection =
      std::make_unique<TcpConnection>(TcpConnection::Context{settings_, *this, counters_}, tuple,
                                      options, route_mtu(tuple.remote_addr), ts_offset(tuple), now);
  if (route_offloads(tuple.remote_addr)) slots_[index].connection->enable_segmentation_offload();
  demux_.emplace(tuple, index);
  return index;
}

void TcpLayer::notify(std::uint32_t index, std::uint8_t events) {
  Slot& slot = slots_[index];
  slot.pending_events |= events;
  if (!slot.queued_event && slot.pending_events != 0) {
    slot.queued_event = true;
    event_queue_.push_back(index);
  }
}

// After every call into a connection: hand events to the owner, move a completed handshake
// to its listener's accept queue, reschedule timers, free what has closed and nobody holds.
void TcpLayer::after_call(std::uint32_t index) {
  Slot& slot = slots_[index];
  TcpConnection& conn = *slot.connection;
  const std::uint8_t events = conn.take_events();
  const bool closed = conn.state() == TcpState::closed;
  count_transition(slot, conn);
  if (slot.parent) {
    Slot& parent = slots_[*slot.parent];
    if (closed) {
      --parent.listener->half_open;
      std::erase(parent.listener->accept_queue, index);
      free_slot(index);
      return;
    }
    if ((events & tcp_event::connected) != 0) {
      --parent.listener->half_open;
      // Queued even beyond the backlog: SYNs are only accepted while the queue has room, so
      // the overshoot is bounded by the handshakes then in progress (syn_backlog).
      parent.listener->accept_queue.push_back(index);
      notify(*slot.parent, tcp_event::readable);
    }
  } else if (slot.user_owned && events != 0) {
    notify(index, events);
  }
  if (closed) {
    const auto it = demux_.find(conn.tuple());
    if (it != demux_.end() && it->second == index) demux_.erase(it);
    deadlines_.cancel(index);
    if (!slot.user_owned) free_slot(index);
    return;
  }
  deadlines_.schedule(index, conn.next_deadline());
  if (conn.output_blocked() && !slot.blocked) {
    slot.blocked = true;
    blocked_.push_back(index);
  }
}

// The nstat counters that follow state changes (RFC 1213 tcpAttemptFails, tcpEstabResets).
void TcpLayer::count_transition(Slot& slot, const TcpConnection& connection) {
  const TcpState before = slot.last_state;
  const TcpState after = connection.state();
  slot.last_state = after;
  if (before == after) return;
  if (after == TcpState::established && before == TcpState::syn_received) {
    counters_.add(Counter::tcp_passive_opens);
  }
  if (after != TcpState::closed) return;
  if (before == TcpState::syn_sent || before == TcpState::syn_received) {
    counters_.add(Counter::tcp_attempt_fails);
  } else if ((before == TcpState::established || before == TcpState::close_wait) &&
             connection.error().has_value()) {
    counters_.add(Counter::tcp_estab_resets);
  }
}

void TcpLayer::poll(Instant now) {
  now_ = now;
  due_.clear();
  deadlines_.pop_due(now, due_);
  for (const auto index : due_) {
    if (!slots_[index].connection) continue;
    slots_[index].connection->on_timer(now);
    after_call(index);
  }
  resume_blocked(now);
}

bool TcpLayer::has_room() const {
  return ipv4_.tx_room() > kControlReserve;
}

bool TcpLayer::has_large_room() const {
  return ipv4_.gso_room() > 0 && has_room();
}

// Whether segments toward `remote` may be cut by the device (TSO): its route's interface
// offloads, and it is not one of our own addresses (looped back, never seen by a device).
bool TcpLayer::route_offloads(Ipv4Addr remote) const {
  if (interfaces_.owns(remote)) return false;
  if (const auto route = routes_.lookup(remote)) {
    for (const auto& interface : interfaces_) {
      if (interface->id == route->route->interface) return interface->offloads;
    }
  }
  return false;
}

Instant TcpLayer::next_deadline() const {
  if (!blocked_.empty() && has_room()) return Instant{};
  return deadlines_.next_deadline();
}

// Round robin over the connections that stopped for lack of TX room, while room lasts; one
// that blocks again goes to the back.
void TcpLayer::resume_blocked(Instant now) {
  for (std::size_t n = blocked_.size(); n > 0 && !blocked_.empty() && has_room(); --n) {
    const std::uint32_t index = blocked_.front();
    blocked_.pop_front();
    Slot& slot = slots_[index];
    if (!slot.blocked) continue;  // freed meanwhile
    slot.blocked = false;
    if (!slot.connection || slot.connection->state() == TcpState::closed) continue;
    slot.connection->resume_output(now);
    after_call(index);
  }
}

std::optional<TcpSocketEvent> TcpLayer::pop_event() {
  while (!event_queue_.empty()) {
    const std::uint32_t index = event_queue_.front();
    event_queue_.pop_front();
    Slot& slot = slots_[index];
    if (!slot.queued_event) continue;  // freed meanwhile
    slot.queued_event = false;
    const std::uint8_t events = std::exchange(slot.pending_events, 0);
    if (events != 0) return TcpSocketEvent{SocketHandle{index, slot.generation}, events};
  }
  return std::nullopt;
}

// ---- output -------------------------------------------------------------------------------

void TcpLayer::transmit(const FourTuple& tuple, const wire::TcpHeader& header,
                        std::span<const wire::Bytes> payload, std::uint32_t segment_size) {
  std::array<std::byte, 60> bytes{};
  const std::size_t size = header.size();
  header.emit(std::span{bytes.data(), size});
  std::array<wire::Bytes, 3> parts{wire::Bytes{bytes.data(), size}};
  std::size_t count = 1;
  std::size_t payload_size = 0;
  for (const wire::Bytes part : payload) {
    if (!part.empty() && count < parts.size()) parts[count++] = part;
    payload_size += part.size();
  }
  Ipv4SendParams params;
  params.source = tuple.local_addr;
  params.destination = tuple.remote_addr;
  params.protocol = kIpProtocolTcp;
  params.dont_fragment = true;  // RFC 1191 path MTU discovery, as Linux
  // The IP layer finishes the checksum after copying, or leaves it to the device.
  params.transport_checksum_offset = wire::TcpView::kChecksumOffset;
  if (payload_size > segment_size) params.gso_size = static_cast<std::uint16_t>(segment_size);
  (void)ipv4_.send(params, std::span{parts.data(), count}, now_);
}

// RFC 7323 §5.4: a secret offset per address pair (ports left out, as Linux's ts_off).
std::uint32_t TcpLayer::ts_offset(const FourTuple& tuple) const {
  return static_cast<std::uint32_t>(
      siphash24(ts_secret_, FourTuple{tuple.local_addr, 0, tuple.remote_addr, 0}));
}

// The TSval a connection of `tuple` sends at `now` (TcpConnection::ts_value).
std::uint32_t TcpLayer::ts_now(const FourTuple& tuple, Instant now) const {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch());
  return static_cast<std::uint32_t>(ms.count()) + ts_offset(tuple);
}

std::uint16_t TcpLayer::route_mtu(Ipv4Addr remote) const {
  if (const auto route = routes_.lookup(remote)) {
    for (const auto& interface : interfaces_) {
      if (interface->id == route->route->interface) return interface->mtu;
    }
  }
  return 576;
}

}  // namespace tapstack
