#include "stack/arp/arp_layer.hpp"

#include <algorithm>

namespace tapstack {
namespace {

// RFC 5227 §1.1: DEFEND_INTERVAL, ANNOUNCE_NUM, ANNOUNCE_INTERVAL.
constexpr Duration kDefendInterval = std::chrono::seconds(10);
constexpr int kAnnounceNum = 2;
constexpr Duration kAnnounceInterval = std::chrono::seconds(2);

bool valid_sender(const wire::ArpPacket& arp) {
  // A neighbour's hardware address is unicast; its protocol address is a host address or 0.0.0.0
  // (an RFC 5227 probe).
  return !arp.sender_mac.is_multicast() && !arp.sender_mac.is_zero() &&
         !arp.sender_ip.is_broadcast() && !arp.sender_ip.is_multicast();
}

}  // namespace

void ArpLayer::receive(Interface& interface, wire::Bytes packet, Instant now) {
  const auto parsed = wire::ArpPacket::parse(packet);
  if (!parsed) {
    counters_.add(parsed.error() == wire::ArpError::truncated ? Counter::arp_drop_truncated
                                                              : Counter::arp_drop_unsupported);
    return;
  }
  const wire::ArpPacket& arp = *parsed;
  counters_.add(arp.operation == wire::ArpOp::request ? Counter::arp_rx_requests
                                                      : Counter::arp_rx_replies);
  if (!valid_sender(arp) || arp.sender_mac == interface.mac) {
    counters_.add(Counter::arp_drop_bad_sender);
    return;
  }
  if (interface.owns(arp.sender_ip)) {
    // Someone else claims one of our addresses: never learn it (that would hijack our traffic).
    counters_.add(Counter::arp_address_conflict);
    defend(interface, arp.sender_ip, now);
    return;
  }
  const bool for_us = interface.owns(arp.target_ip);
  // RFC 826 "merge": refresh an existing entry from any ARP packet; create one only when the
  // packet is addressed to us. A probe (sender 0.0.0.0) teaches nothing.
  if (!arp.sender_ip.is_unspecified()) {
    interface.neighbors.learn(arp.sender_ip, arp.sender_mac, now, for_us, ready_);
    flush_ready(interface, arp.sender_mac);
  }
  if (!for_us) {
    counters_.add(Counter::arp_drop_not_for_us);
    return;
  }
  if (arp.operation == wire::ArpOp::request) {
    send(interface, wire::ArpOp::reply, arp.target_ip, arp.sender_mac, arp.sender_ip,
         arp.sender_mac);
    counters_.add(Counter::arp_tx_replies);
  }
}

void ArpLayer::output(Interface& interface, Ipv4Addr next_hop, PacketBuffer ip_packet,
                      Instant now) {
  if (const auto mac = interface.neighbors.lookup(next_hop, now)) {
    link_.send(interface, *mac, wire::EtherType::ipv4, std::move(ip_packet));
    return;
  }
  if (interface.neighbors.enqueue(next_hop, std::move(ip_packet), now) ==
      NeighborCache::EnqueueResult::send_request) {
    request(interface, next_hop);
  }
}

void ArpLayer::announce(Interface& interface, Ipv4Addr address) {
  send(interface, wire::ArpOp::request, address, MacAddr{}, address, MacAddr::broadcast());
  counters_.add(Counter::arp_tx_gratuitous);
}

void ArpLayer::start_announcements(Interface& interface, Instant now) {
  for (const Ipv4Cidr& cidr : interface.addresses) {
    start_announcement(interface, cidr.address(), now);
  }
}

void ArpLayer::start_announcement(Interface& interface, Ipv4Addr address, Instant now) {
  std::erase_if(interface.announcements,
                [address](const Announcement& a) { return a.address == address; });
  announce(interface, address);
  static_assert(kAnnounceNum >= 2);
  interface.announcements.push_back({address, kAnnounceNum - 1, now + kAnnounceInterval});
}

Instant ArpLayer::next_deadline(const Interface& interface) const {
  Instant earliest = interface.neighbors.next_deadline();
  for (const Announcement& a : interface.announcements) earliest = std::min(earliest, a.next);
  return earliest;
}

void ArpLayer::poll(Interface& interface, Instant now) {
  for (Announcement& a : interface.announcements) {
    if (now < a.next) continue;
    announce(interface, a.address);
    --a.left;
    a.next = a.left > 0 ? now + kAnnounceInterval : kNever;
  }
  std::erase_if(interface.announcements, [](const Announcement& a) { return a.left == 0; });
  requests_.clear();
  interface.neighbors.poll(now, requests_);
  for (const Ipv4Addr target : requests_) request(interface, target);
}

void ArpLayer::send(Interface& interface, wire::ArpOp op, Ipv4Addr sender_ip, MacAddr target_mac,
                    Ipv4Addr target_ip, MacAddr link_destination) {
  auto buffer = link_.allocate(wire::ArpPacket::kSize);
  if (!buffer) return;
  wire::ArpPacket{op, interface.mac, sender_ip, target_mac, target_ip}.emit(
      buffer->append(wire::ArpPacket::kSize));
  link_.send(interface, link_destination, wire::EtherType::arp, std::move(*buffer));
}

void ArpLayer::request(Interface& interface, Ipv4Addr target) {
  // The sender address is ours on the target's subnet (the next hop is always on-link).
  const auto sender = interface.address_for_neighbor(target);
  if (!sender) return;
  send(interface, wire::ArpOp::request, *sender, MacAddr{}, target, MacAddr::broadcast());
  counters_.add(Counter::arp_tx_requests);
}

void ArpLayer::defend(Interface& interface, Ipv4Addr address, Instant now) {
  // RFC 5227 §2.4 (b): defend with one announcement, at most once per DEFEND_INTERVAL.
  if (interface.last_conflict_defense != Instant::min() &&
      now - interface.last_conflict_defense < kDefendInterval) {
    return;
  }
  interface.last_conflict_defense = now;
  announce(interface, address);
}

void ArpLayer::flush_ready(Interface& interface, MacAddr mac) {
  for (auto& packet : ready_) link_.send(interface, mac, wire::EtherType::ipv4, std::move(packet));
  ready_.clear();
}

}  // namespace tapstack
