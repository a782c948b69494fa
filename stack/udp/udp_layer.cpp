// The UdpLayer's receive path (RFC 768, RFC 1122 §4.1.3), ICMP errors, events and
// back-pressure bookkeeping. The socket calls are in udp_sockets.cpp, the port table in
// udp_demux.cpp.
#include "stack/udp/udp_layer.hpp"

#include <algorithm>
#include <cstddef>
#include <optional>
#include <utility>

namespace tapstack {
namespace {

Counter counter_for(wire::UdpError error) {
  switch (error) {
    case wire::UdpError::truncated:
      return Counter::udp_drop_truncated;
    case wire::UdpError::bad_length:
      return Counter::udp_drop_bad_length;
    case wire::UdpError::bad_checksum:
      return Counter::udp_drop_bad_checksum;
  }
  return Counter::udp_drop_truncated;
}

// The payload bytes per datagram of a received packet: 0 for a plain datagram, gso_size for a
// UDP segmentation offload (USO) super-datagram; nullopt when the device's word is malformed
// (a TCP GSO type, or USO without a segment size).
std::optional<std::size_t> segment_size_of(const ReceiveOffload& offload) {
  switch (offload.gso) {
    case ReceiveGso::none:
      return 0;
    case ReceiveGso::tcp:
      return std::nullopt;
    case ReceiveGso::udp:
      if (offload.gso_size == 0) return std::nullopt;
      return offload.gso_size;
  }
  return std::nullopt;
}

// How many datagrams a payload stands for: one per `segment_size` bytes, the last one possibly
// shorter, and one (possibly empty) when it fits in one (Linux would refuse such a GSO packet,
// but its meaning is plain).
std::size_t segment_count(std::size_t payload_size, std::size_t segment_size) {
  if (segment_size == 0 || payload_size <= segment_size) return 1;
  return (payload_size + segment_size - 1) / segment_size;
}

// Calls deliver(segment) for each of the datagrams a payload stands for, in order.
template <typename Deliver>
void for_each_segment(wire::Bytes payload, std::size_t segment_size, Deliver&& deliver) {
  if (segment_count(payload.size(), segment_size) == 1) {
    deliver(payload);
    return;
  }
  for (std::size_t offset = 0; offset < payload.size(); offset += segment_size) {
    deliver(payload.subspan(offset, std::min(segment_size, payload.size() - offset)));
  }
}

}  // namespace

UdpLayer::UdpLayer(const UdpSettings& settings, std::size_t tx_frames, Ipv4Layer& ipv4,
                   RouteTable& routes, InterfaceTable& interfaces, Random& random,
                   Counters& counters)
    : settings_(settings),
      tx_frames_(tx_frames),
      tx_reserve_(std::min(settings.tx_reserve_frames, tx_frames / 4)),
      ipv4_(ipv4),
      routes_(routes),
      interfaces_(interfaces),
      counters_(counters),
      ports_(random, settings.ephemeral_first, settings.ephemeral_last) {}

// ---- receive path -------------------------------------------------------------------------

// A USO super-datagram (ReceiveGso::udp) has its IP and UDP lengths over the whole payload,
// which the checks below see as one datagram; the checksum is partial, so the device vouches
// for it. Only then is it cut, like Linux's udp_rcv_segment(), into the datagrams the host's
// sender wrote, each delivered (or dropped, or ignored) on its own.
UdpLayer::Delivery UdpLayer::receive(const Ipv4Datagram& datagram, Instant) {
  // RFC 1122 §4.1.3.4: verify the checksum when the sender computed one (UdpView::check).
  const auto view = wire::UdpView::check(datagram.payload, datagram.source, datagram.destination,
                                         !datagram.offload.checksum_trusted);
  if (!view) {
    counters_.add(counter_for(view.error()));
    return Delivery::dropped;
  }
  const auto segment_size = segment_size_of(datagram.offload);
  if (!segment_size) {
    counters_.add(Counter::udp_drop_bad_gso);
    return Delivery::dropped;
  }
  const wire::Bytes payload = view->payload();
  if (*segment_size > 0) {
    counters_.add(Counter::udp_rx_gso_segments, segment_count(payload.size(), *segment_size));
  }
  const SocketAddress source{datagram.source, view->source_port()};
  if (interfaces_.is_broadcast(datagram.destination)) {
    Delivery delivery = Delivery::dropped;
    for_each_segment(payload, *segment_size, [&](wire::Bytes segment) {
      if (deliver_broadcast(datagram, view->destination_port(), source, segment) ==
          Delivery::delivered) {
        delivery = Delivery::delivered;
      }
    });
    return delivery;
  }
  const auto index = lookup({datagram.destination, view->destination_port()}, source);
  if (!index) {
    counters_.add(Counter::udp_rx_no_port);
    return Delivery::no_socket;
  }
  Delivery delivery = Delivery::dropped;
  for_each_segment(payload, *segment_size, [&](wire::Bytes segment) {
    if (!enqueue(*index, source, datagram.destination, segment)) return;
    counters_.add(Counter::udp_rx_datagrams);
    delivery = Delivery::delivered;
  });
  return delivery;
}

bool UdpLayer::enqueue(std::uint32_t index, SocketAddress source, Ipv4Addr destination,
                       wire::Bytes payload) {
  Slot& slot = slots_[index];
  const bool was_empty = slot.queue.empty();
  if (!slot.queue.push(source, destination, payload)) {
    counters_.add(Counter::udp_drop_receive_queue_full);  // RcvbufErrors
    return false;
  }
  if (was_empty) notify(index, udp_event::readable);
  return true;
}

// RFC 1122 §4.1.3.3: UDP passes ICMP errors to the application. Like Linux without IP_RECVERR,
// only a port unreachable (a hard error) is reported, and only to a connected socket: an
// unconnected one may talk to many peers and cannot tell which one refused.
void UdpLayer::on_unreachable(wire::UnreachableCode code, const IcmpQuote& quote, Instant) {
  if (code != wire::UnreachableCode::port) return;
  const SocketAddress local{quote.source, wire::load16(quote.transport, 0)};
  const SocketAddress remote{quote.destination, wire::load16(quote.transport, 2)};
  const auto index = lookup(local, remote);
  if (!index || !slots_[*index].remote) return;
  slots_[*index].error = SocketError::connection_refused;
  counters_.add(Counter::udp_connection_refused);
  notify(*index, udp_event::error | udp_event::readable);
}

// ---- back-pressure --------------------------------------------------------------------------

// Whether `frames` can be queued now: while other frames wait, the reserve stays free for
// ACKs, ARP and ICMP; an idle device takes any datagram that fits at all.
bool UdpLayer::fits(std::size_t frames) const {
  const std::size_t room = ipv4_.tx_room();
  return room >= frames + tx_reserve_ || (room >= frames && room == tx_frames_);
}

void UdpLayer::poll() {
  std::erase_if(blocked_, [&](std::uint32_t index) {
    Slot& slot = slots_[index];
    if (!fits(slot.blocked_frames)) return false;
    slot.blocked_frames = 0;
    notify(index, udp_event::writable);
    return true;
  });
}

Instant UdpLayer::next_deadline() const {
  const bool wake = std::ranges::any_of(
      blocked_, [&](std::uint32_t index) { return fits(slots_[index].blocked_frames); });
  return wake ? Instant{} : kNever;
}

// ---- bookkeeping --------------------------------------------------------------------------

UdpLayer::Slot* UdpLayer::find(SocketHandle socket) {
  if (socket.index >= slots_.size()) return nullptr;
  Slot& slot = slots_[socket.index];
  if (slot.generation != socket.generation || !slot.open) return nullptr;
  return &slot;
}

const UdpLayer::Slot* UdpLayer::find(SocketHandle socket) const {
  return const_cast<UdpLayer*>(this)->find(socket);
}

std::size_t UdpLayer::queue_limit(const UdpSocketOptions& options) const {
  if (options.receive_buffer == 0) return settings_.receive_buffer;
  return std::min(options.receive_buffer, settings_.receive_buffer_max);
}

void UdpLayer::free_slot(std::uint32_t index) {
  detach(index);
  if (slots_[index].blocked_frames > 0) std::erase(blocked_, index);
  const std::uint32_t generation = slots_[index].generation + 1;
  slots_[index] = Slot{};
  slots_[index].generation = generation;
  free_slots_.push_back(index);
}

void UdpLayer::notify(std::uint32_t index, std::uint8_t events) {
  Slot& slot = slots_[index];
  slot.pending_events |= events;
  if (!slot.queued_event) {
    slot.queued_event = true;
    event_queue_.push_back(index);
  }
}

std::optional<UdpSocketEvent> UdpLayer::pop_event() {
  while (!event_queue_.empty()) {
    const std::uint32_t index = event_queue_.front();
    event_queue_.pop_front();
    Slot& slot = slots_[index];
    if (!slot.queued_event) continue;  // closed meanwhile
    slot.queued_event = false;
    const std::uint8_t events = std::exchange(slot.pending_events, 0);
    if (events != 0) return UdpSocketEvent{SocketHandle{index, slot.generation}, events};
  }
  return std::nullopt;
}

std::vector<UdpSocketSummary> UdpLayer::snapshot() const {
  std::vector<UdpSocketSummary> sockets;
  for (std::uint32_t index = 0; index < slots_.size(); ++index) {
    const Slot& slot = slots_[index];
    if (!slot.open) continue;
    sockets.push_back(UdpSocketSummary{SocketHandle{index, slot.generation}, slot.local,
                                       slot.remote, slot.queue.bytes(), slot.queue.size(),
                                       slot.queue.limit()});
  }
  return sockets;
}

}  // namespace tapstack
