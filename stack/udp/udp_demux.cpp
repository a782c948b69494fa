// The UdpLayer's port table: which socket owns which local address and port, the bind conflict
// rules (Linux UDP with SO_REUSEADDR, no SO_REUSEPORT), ephemeral ports (RFC 6056) and the
// choice of socket for a received datagram (Linux compute_score).
#include <algorithm>

#include "stack/udp/udp_layer.hpp"

namespace tapstack {
namespace {

bool overlaps(Ipv4Addr a, Ipv4Addr b) {
  return a.is_unspecified() || b.is_unspecified() || a == b;
}

// How well a socket matches a datagram from `remote` to `local`: -1 when a field it set
// differs, else one point per field it set (bound address, connected peer), as Linux's
// compute_score. The port is already equal.
int match_score(const SocketAddress& bound, const std::optional<SocketAddress>& peer,
                Ipv4Addr local, SocketAddress remote) {
  int score = 0;
  if (!bound.address.is_unspecified()) {
    if (bound.address != local) return -1;
    ++score;
  }
  if (peer) {
    if (*peer != remote) return -1;
    ++score;
  }
  return score;
}

}  // namespace

void UdpLayer::attach(std::uint32_t index, SocketAddress local) {
  Slot& slot = slots_[index];
  slot.local = local;
  slot.bind_order = next_bind_order_++;
  by_port_[local.port].push_back(index);
}

void UdpLayer::detach(std::uint32_t index) {
  Slot& slot = slots_[index];
  if (slot.local.port == 0) return;
  const auto it = by_port_.find(slot.local.port);
  std::erase(it->second, index);
  if (it->second.empty()) by_port_.erase(it);
  slot.local.port = 0;
}

// Any socket on `port` whose address overlaps: the test for an ephemeral port, which is never
// shared.
bool UdpLayer::port_in_use(Ipv4Addr address, std::uint16_t port) const {
  const auto it = by_port_.find(port);
  if (it == by_port_.end()) return false;
  return std::ranges::any_of(
      it->second, [&](std::uint32_t i) { return overlaps(slots_[i].local.address, address); });
}

// Linux udp_lib_lport_inuse without SO_REUSEPORT: overlapping binds clash unless both sockets
// set SO_REUSEADDR.
bool UdpLayer::conflicts(std::uint32_t index, SocketAddress local) const {
  const auto it = by_port_.find(local.port);
  if (it == by_port_.end()) return false;
  const bool reuse = slots_[index].options.reuse_address;
  return std::ranges::any_of(it->second, [&](std::uint32_t i) {
    return overlaps(slots_[i].local.address, local.address) &&
           !(reuse && slots_[i].options.reuse_address);
  });
}

// Binds an unbound socket to `address` and an ephemeral port. `remote` is the first
// destination, unspecified if unknown: RFC 6056 spreads ports per destination.
bool UdpLayer::autobind(std::uint32_t index, Ipv4Addr address, SocketAddress remote) {
  const auto port = ports_.pick(address, remote.address, remote.port,
                                [&](std::uint16_t p) { return port_in_use(address, p); });
  if (!port) return false;
  attach(index, SocketAddress{address, *port});
  return true;
}

// The socket for a unicast datagram from `remote` to `local`: the best score, the most recently
// bound among equals (Linux inserts at the head of its hash chain and keeps the first best).
std::optional<std::uint32_t> UdpLayer::lookup(SocketAddress local, SocketAddress remote) const {
  const auto it = by_port_.find(local.port);
  if (it == by_port_.end()) return std::nullopt;
  std::optional<std::uint32_t> best;
  int best_score = -1;
  for (const std::uint32_t i : it->second) {
    const Slot& slot = slots_[i];
    const int score = match_score(slot.local, slot.remote, local.address, remote);
    if (score < 0) continue;
    if (score > best_score || (score == best_score && slot.bind_order > slots_[*best].bind_order)) {
      best = i;
      best_score = score;
    }
  }
  return best;
}

// Linux __udp4_lib_mcast_deliver: a copy for every socket that matches, in bind order.
UdpLayer::Delivery UdpLayer::deliver_broadcast(const Ipv4Datagram& datagram, std::uint16_t port,
                                               SocketAddress source, wire::Bytes payload) {
  const auto it = by_port_.find(port);
  bool matched = false;
  bool queued = false;
  if (it != by_port_.end()) {
    for (const std::uint32_t i : it->second) {  // enqueue() leaves the port table alone
      if (match_score(slots_[i].local, slots_[i].remote, datagram.destination, source) < 0) {
        continue;
      }
      matched = true;
      queued |= enqueue(i, source, datagram.destination, payload);
    }
  }
  if (!matched) {
    counters_.add(Counter::udp_rx_ignored_broadcast);  // IgnoredMulti
    return Delivery::dropped;
  }
  if (queued) counters_.add(Counter::udp_rx_datagrams);
  return queued ? Delivery::delivered : Delivery::dropped;
}

}  // namespace tapstack
