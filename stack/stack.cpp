#include "stack/stack.hpp"

#include <algorithm>
#include <cassert>

#include "stack/stack_impl.hpp"

namespace tapstack {

void Stack::Impl::receive(Interface& interface, wire::Bytes frame, Instant now, bool looped_back,
                          const ReceiveOffload& offload) {
  counters.add(Counter::eth_rx_frames);
  const auto eth = wire::EthernetHeader::parse(frame);
  if (!eth) {
    counters.add(Counter::eth_drop_truncated);
    return;
  }
  // We join no multicast group: accept our own MAC and broadcast only.
  const bool broadcast = eth->destination.is_broadcast();
  if (eth->destination != interface.mac && !broadcast) {
    counters.add(Counter::eth_drop_not_for_us);
    return;
  }
  const wire::Bytes payload = frame.subspan(wire::EthernetHeader::kSize);
  switch (static_cast<wire::EtherType>(eth->ethertype)) {
    case wire::EtherType::arp:
      arp.receive(interface, payload, now);
      return;
    case wire::EtherType::ipv4:
      if (auto datagram = ipv4.receive(interface, payload, broadcast, now, looped_back)) {
        // Only a whole packet: the device's word covers no datagram put together here.
        if (!datagram->header.empty()) {
          datagram->offload = offload;
          if (offload.checksum_trusted) counters.add(Counter::ipv4_rx_checksum_offloaded);
        }
        deliver(*datagram, now);
      }
      return;
  }
  counters.add(Counter::eth_drop_unknown_ethertype);
}

void Stack::Impl::deliver(const Ipv4Datagram& datagram, Instant now) {
  switch (static_cast<wire::IpProtocol>(datagram.protocol)) {
    case wire::IpProtocol::icmp:
      icmp.receive(datagram, now);
      return;
    case wire::IpProtocol::tcp:
      tcp.receive(datagram, now);
      return;
    case wire::IpProtocol::udp:
      // RFC 1122 §4.1.3.1: port unreachable when no socket wants a unicast datagram.
      if (udp.receive(datagram, now) == UdpLayer::Delivery::no_socket) {
        icmp.send_unreachable(wire::UnreachableCode::port, datagram, now);
      }
      return;
    default:
      // RFC 1122 §3.2.2.1: protocol unreachable for a transport we do not run.
      counters.add(Counter::ipv4_drop_unknown_protocol);
      icmp.send_unreachable(wire::UnreachableCode::protocol, datagram, now);
      return;
  }
}

Stack::Stack(const StackSettings& settings) : impl_(std::make_unique<Impl>(settings)) {}
Stack::~Stack() = default;

InterfaceId Stack::add_interface(const InterfaceSettings& settings, Instant now) {
  assert(settings.mtu <= impl_->settings.max_mtu && settings.mtu >= 68);
  Interface& interface = impl_->interfaces.add(settings.mac, settings.mtu, settings.addresses,
                                               impl_->settings.neighbor, impl_->counters);
  assert(!settings.offloads || impl_->settings.gso_buffer_count > 0);
  interface.offloads = settings.offloads;
  for (const Ipv4Cidr& cidr : settings.addresses) {
    impl_->routes.add(Route{Ipv4Cidr{cidr.network(), cidr.prefix_len()}, std::nullopt, interface.id,
                            cidr.address()});
  }
  impl_->arp.start_announcements(interface, now);
  return interface.id;
}

bool Stack::set_default_gateway(Ipv4Addr gateway) {
  for (const auto& interface : impl_->interfaces) {
    if (const auto source = interface->address_for_neighbor(gateway)) {
      impl_->routes.remove(Ipv4Cidr{Ipv4Addr::any(), 0});
      return impl_->routes.add(
          Route{Ipv4Cidr{Ipv4Addr::any(), 0}, gateway, interface->id, *source});
    }
  }
  return false;
}

bool Stack::add_static_route(Ipv4Cidr prefix, Ipv4Addr gateway) {
  for (const auto& interface : impl_->interfaces) {
    if (const auto source = interface->address_for_neighbor(gateway)) {
      return impl_->routes.add(Route{prefix, gateway, interface->id, *source});
    }
  }
  return false;
}

void Stack::receive(InterfaceId id, std::span<const std::byte> frame, Instant now,
                    const ReceiveOffload& offload) {
  Interface* interface = impl_->interfaces.find(id);
  assert(interface != nullptr);
  impl_->receive(*interface, frame, now, false, offload);
}

void Stack::begin_receive_batch() {
  impl_->tcp.begin_batch();
}

void Stack::end_receive_batch(Instant now) {
  impl_->tcp.end_batch(now);
}

void Stack::poll(Instant now) {
  // Loopback first, and only what was queued before: delivering may queue more (an answer),
  // which waits for the next poll instead of recursing.
  for (std::size_t n = impl_->loopback.size(); n > 0; --n) {
    const TxFrame frame = impl_->loopback.pop();
    if (Interface* interface = impl_->interfaces.find(frame.interface)) {
      impl_->receive(*interface, frame.frame.data(), now, true);
    }
  }
  for (auto& interface : impl_->interfaces) impl_->arp.poll(*interface, now);
  impl_->ipv4.poll(now);
  impl_->tcp.poll(now);
  impl_->udp.poll();
}

Instant Stack::next_deadline() const {
  Instant earliest = std::min(
      {impl_->ipv4.next_deadline(), impl_->tcp.next_deadline(), impl_->udp.next_deadline()});
  for (const auto& interface : impl_->interfaces) {
    earliest = std::min(earliest, impl_->arp.next_deadline(*interface));
  }
  if (!impl_->loopback.empty()) earliest = Instant{};  // due at once
  return earliest;
}

std::optional<TxFrame> Stack::pop_tx() {
  if (impl_->tx_queue.empty()) return std::nullopt;
  return impl_->tx_queue.pop();
}

std::size_t Stack::tx_pending() const {
  return impl_->tx_queue.size();
}

const Counters& Stack::counters() const {
  return impl_->counters;
}

}  // namespace tapstack

namespace tapstack {

TcpLayer& Stack::tcp() {
  return impl_->tcp;
}

const TcpLayer& Stack::tcp() const {
  return impl_->tcp;
}

UdpLayer& Stack::udp() {
  return impl_->udp;
}

const UdpLayer& Stack::udp() const {
  return impl_->udp;
}

}  // namespace tapstack
