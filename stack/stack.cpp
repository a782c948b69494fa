#include "stack/stack.hpp"

#include <algorithm>
#include <cassert>

#include "stack/arp/arp_layer.hpp"
#include "stack/icmp/icmp_layer.hpp"
#include "stack/ipv4/ipv4_layer.hpp"
#include "stack/ipv4/route_table.hpp"
#include "stack/link/interface.hpp"
#include "stack/link/link_output.hpp"
#include "stack/tcp/tcp_layer.hpp"
#include "stack/udp/udp_layer.hpp"
#include "stack/wire/ethernet.hpp"

namespace tapstack {
namespace {

std::size_t tx_buffer_size(std::uint16_t max_mtu) {
  const std::size_t bytes = kTxHeadroom + wire::EthernetHeader::kSize + max_mtu;
  return (bytes + 63) / 64 * 64;
}

}  // namespace

// Owns every table and layer; the layers hold references into it, so it never moves.
struct Stack::Impl {
  explicit Impl(const StackSettings& s)
      : settings(s),
        random(s.seed),
        pool(s.tx_buffer_count, tx_buffer_size(s.max_mtu)),
        tx_queue(s.tx_queue_frames),
        loopback(s.tx_queue_frames),
        link(pool, tx_queue, loopback, counters),
        arp(link, counters),
        ipv4(Ipv4Layer::Settings{s.default_ttl, s.reassembly}, interfaces, routes, arp, link,
             random, counters),
        icmp(ipv4, counters),
        tcp(s.tcp, ipv4, routes, interfaces, random, counters),
        udp(s.udp, std::min(s.tx_queue_frames, s.tx_buffer_count), ipv4, routes, interfaces, random,
            counters) {
    icmp.set_error_handler(static_cast<std::uint8_t>(wire::IpProtocol::udp), udp);
  }

  void receive(Interface& interface, wire::Bytes frame, Instant now, bool looped_back = false);
  void deliver(const Ipv4Datagram& datagram, Instant now);

  StackSettings settings;
  Counters counters;
  Random random;
  BufferPool pool;
  RingQueue<TxFrame> tx_queue;
  RingQueue<TxFrame> loopback;  // packets to our own addresses, received at the next poll()
  InterfaceTable interfaces;
  RouteTable routes;
  LinkOutput link;
  ArpLayer arp;
  Ipv4Layer ipv4;
  IcmpLayer icmp;
  TcpLayer tcp;
  UdpLayer udp;  // after tcp: its random draws leave TCP's sequence as it was
};

void Stack::Impl::receive(Interface& interface, wire::Bytes frame, Instant now, bool looped_back) {
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
      if (const auto datagram = ipv4.receive(interface, payload, broadcast, now, looped_back)) {
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

void Stack::receive(InterfaceId id, std::span<const std::byte> frame, Instant now) {
  Interface* interface = impl_->interfaces.find(id);
  assert(interface != nullptr);
  impl_->receive(*interface, frame, now);
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
