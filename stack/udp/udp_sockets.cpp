// The UdpLayer's socket API: open, bind, connect, send, receive, close, with the kernel's error
// semantics (SocketError ~ errno), and the send path (RFC 768).
#include <algorithm>
#include <array>
#include <cstring>

#include "stack/udp/udp_layer.hpp"

namespace tapstack {
namespace {

constexpr auto kIpProtocolUdp = static_cast<std::uint8_t>(wire::IpProtocol::udp);

// IPv4 packets needed for a UDP payload of `size` bytes over `mtu` (RFC 791 §3.2: every
// fragment but the last carries a multiple of 8 bytes).
std::size_t frames_for(std::size_t size, std::size_t mtu) {
  const std::size_t datagram = wire::UdpHeader::kSize + size;
  const std::size_t room = mtu - wire::Ipv4Header::kSize;
  if (datagram <= room) return 1;
  const std::size_t chunk = room / 8 * 8;
  return (datagram + chunk - 1) / chunk;
}

}  // namespace

Result<SocketHandle, SocketError> UdpLayer::open(const UdpSocketOptions& options) {
  if (socket_count() >= settings_.max_sockets) return unexpected(SocketError::no_buffer_space);
  std::uint32_t index = 0;
  if (!free_slots_.empty()) {
    index = free_slots_.back();
    free_slots_.pop_back();
  } else {
    index = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  Slot& slot = slots_[index];
  slot.open = true;
  slot.options = options;
  slot.queue.set_limit(queue_limit(options));
  return SocketHandle{index, slot.generation};
}

Result<void, SocketError> UdpLayer::bind(SocketHandle socket, SocketAddress local) {
  Slot* slot = find(socket);
  if (slot == nullptr) return unexpected(SocketError::bad_handle);
  if (slot->local.port != 0) return unexpected(SocketError::invalid_argument);
  // Linux lets a datagram socket bind a broadcast address, to receive only broadcasts.
  if (!local.address.is_unspecified() && !interfaces_.owns(local.address) &&
      !interfaces_.is_broadcast(local.address)) {
    return unexpected(SocketError::address_not_available);
  }
  if (local.port == 0) {
    // Linux gives EADDRINUSE when no ephemeral port is left for bind().
    if (!autobind(socket.index, local.address, SocketAddress{})) {
      return unexpected(SocketError::address_in_use);
    }
  } else {
    if (conflicts(socket.index, local)) return unexpected(SocketError::address_in_use);
    attach(socket.index, local);
  }
  slot->address_locked = !local.address.is_unspecified();
  slot->port_locked = local.port != 0;
  return {};
}

Result<void, SocketError> UdpLayer::connect(SocketHandle socket, SocketAddress remote) {
  Slot* slot = find(socket);
  if (slot == nullptr) return unexpected(SocketError::bad_handle);
  const auto route = route_to(*slot, remote);
  if (!route) return unexpected(route.error());
  if (slot->local.port == 0 && !autobind(socket.index, slot->local.address, remote)) {
    return unexpected(SocketError::address_not_available);
  }
  // Linux fixes the source address at connect (getsockname shows it); a datagram to another
  // of our addresses then no longer matches this socket.
  if (slot->local.address.is_unspecified()) {
    slot->local.address = route->route->preferred_source;
  }
  slot->remote = remote;
  return {};
}

Result<void, SocketError> UdpLayer::disconnect(SocketHandle socket) {
  Slot* slot = find(socket);
  if (slot == nullptr) return unexpected(SocketError::bad_handle);
  slot->remote.reset();
  // Linux __udp_disconnect: what bind() did not lock is released (SOCK_BINDADDR/PORT_LOCK).
  if (!slot->port_locked) detach(socket.index);
  if (!slot->address_locked) slot->local.address = Ipv4Addr::any();
  return {};
}

Result<std::size_t, SocketError> UdpLayer::send(SocketHandle socket, wire::Bytes payload,
                                                Instant now) {
  Slot* slot = find(socket);
  if (slot == nullptr) return unexpected(SocketError::bad_handle);
  if (const auto error = std::exchange(slot->error, std::nullopt)) return unexpected(*error);
  if (!slot->remote) return unexpected(SocketError::destination_required);
  return send_datagram(socket.index, *slot->remote, payload, now);
}

Result<std::size_t, SocketError> UdpLayer::send_to(SocketHandle socket, SocketAddress remote,
                                                   wire::Bytes payload, Instant now) {
  Slot* slot = find(socket);
  if (slot == nullptr) return unexpected(SocketError::bad_handle);
  if (const auto error = std::exchange(slot->error, std::nullopt)) return unexpected(*error);
  return send_datagram(socket.index, remote, payload, now);
}

Result<UdpReceived, SocketError> UdpLayer::receive(SocketHandle socket, wire::MutableBytes out,
                                                   bool peek) {
  Slot* slot = find(socket);
  if (slot == nullptr) return unexpected(SocketError::bad_handle);
  // Linux __skb_recv_udp: a pending error is reported before any queued datagram.
  if (const auto error = std::exchange(slot->error, std::nullopt)) return unexpected(*error);
  if (slot->queue.empty()) return unexpected(SocketError::would_block);
  const UdpReceiveQueue::Datagram& datagram = slot->queue.front();
  const std::size_t size = std::min(out.size(), datagram.payload.size());
  if (size > 0) std::memcpy(out.data(), datagram.payload.data(), size);
  const UdpReceived received{size, datagram.payload.size(), datagram.source, datagram.destination};
  // A truncated datagram's rest is discarded, as the kernel does without MSG_PEEK.
  if (!peek) slot->queue.pop();
  return received;
}

Result<void, SocketError> UdpLayer::set_options(SocketHandle socket,
                                                const UdpSocketOptions& options) {
  Slot* slot = find(socket);
  if (slot == nullptr) return unexpected(SocketError::bad_handle);
  slot->options = options;
  slot->queue.set_limit(queue_limit(options));
  return {};
}

void UdpLayer::close(SocketHandle socket) {
  if (find(socket) != nullptr) free_slot(socket.index);
}

Result<UdpSocketOptions, SocketError> UdpLayer::options(SocketHandle socket) const {
  const Slot* slot = find(socket);
  if (slot == nullptr) return unexpected(SocketError::bad_handle);
  return slot->options;
}

Result<SocketAddress, SocketError> UdpLayer::local_address(SocketHandle socket) const {
  const Slot* slot = find(socket);
  if (slot == nullptr) return unexpected(SocketError::bad_handle);
  return slot->local;
}

Result<SocketAddress, SocketError> UdpLayer::remote_address(SocketHandle socket) const {
  const Slot* slot = find(socket);
  if (slot == nullptr) return unexpected(SocketError::bad_handle);
  if (!slot->remote) return unexpected(SocketError::not_connected);
  return *slot->remote;
}

std::optional<SocketError> UdpLayer::take_error(SocketHandle socket) {
  Slot* slot = find(socket);
  if (slot == nullptr) return std::nullopt;
  return std::exchange(slot->error, std::nullopt);
}

// ---- output -------------------------------------------------------------------------------

// The route to `remote`, after the checks connect() and send_to() share.
Result<RouteLookup, SocketError> UdpLayer::route_to(const Slot& slot, SocketAddress remote) const {
  // Port 0 cannot be addressed; we run no loopback (0.0.0.0) and join no multicast group.
  if (remote.port == 0 || remote.address.is_unspecified() || remote.address.is_multicast()) {
    return unexpected(SocketError::invalid_argument);
  }
  const auto route = routes_.lookup(remote.address);
  if (!route) return unexpected(SocketError::network_unreachable);
  // Linux: sending (or connecting) to a broadcast address needs SO_BROADCAST, else EACCES.
  if (interfaces_.is_broadcast(remote.address) && !slot.options.broadcast) {
    return unexpected(SocketError::access_denied);
  }
  return *route;
}

std::size_t UdpLayer::mtu_of(InterfaceId id) const {
  for (const auto& interface : interfaces_) {
    if (interface->id == id) return interface->mtu;
  }
  return 576;
}

Result<std::size_t, SocketError> UdpLayer::send_datagram(std::uint32_t index, SocketAddress remote,
                                                         wire::Bytes payload, Instant now) {
  if (payload.size() > kMaxPayload) return unexpected(SocketError::message_too_long);
  const auto route = route_to(slots_[index], remote);
  if (!route) return unexpected(route.error());
  if (slots_[index].local.port == 0 && !autobind(index, slots_[index].local.address, remote)) {
    return unexpected(SocketError::address_not_available);
  }
  const std::size_t frames = frames_for(payload.size(), mtu_of(route->route->interface));
  if (frames > tx_frames_) return unexpected(SocketError::no_buffer_space);
  Slot& slot = slots_[index];
  if (!fits(frames)) {
    if (slot.blocked_frames == 0) blocked_.push_back(index);
    slot.blocked_frames = frames;
    return unexpected(SocketError::would_block);
  }
  // Bound to INADDR_ANY or to a broadcast address: the route's source speaks for us.
  const Ipv4Addr source =
      interfaces_.owns(slot.local.address) ? slot.local.address : route->route->preferred_source;
  std::array<std::byte, wire::UdpHeader::kSize> header{};
  // RFC 768: the checksum is always generated (a computed zero is sent as all ones).
  wire::UdpHeader{slot.local.port, remote.port}.emit(header, source, remote.address,
                                                     std::span{&payload, 1});
  const std::array<wire::Bytes, 2> parts{wire::Bytes{header}, payload};
  Ipv4SendParams params;
  params.source = source;
  params.destination = remote.address;
  params.protocol = kIpProtocolUdp;
  // DF stays clear: without a path MTU cache a datagram too big for some hop would be lost
  // every time; a router on the path fragments it instead (RFC 791 §2.3).
  const auto sent = ipv4_.send(params, parts, now);
  if (!sent) {
    switch (sent.error()) {
      case Ipv4SendError::no_route:
        return unexpected(SocketError::network_unreachable);
      case Ipv4SendError::too_big:
        return unexpected(SocketError::message_too_long);
      case Ipv4SendError::no_buffer:
        counters_.add(Counter::udp_tx_drop_no_buffer);  // SndbufErrors
        return unexpected(SocketError::no_buffer_space);
    }
  }
  counters_.add(Counter::udp_tx_datagrams);
  return payload.size();
}

}  // namespace tapstack
