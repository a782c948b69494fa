#include "stack/link/interface.hpp"

#include <algorithm>

namespace tapstack {

bool Interface::owns(Ipv4Addr a) const {
  return std::ranges::any_of(addresses, [a](const Ipv4Cidr& c) { return c.address() == a; });
}

std::optional<Ipv4Cidr> Interface::find_address(Ipv4Addr a) const {
  const auto it = std::ranges::find(addresses, a, &Ipv4Cidr::address);
  return it != addresses.end() ? std::optional{*it} : std::nullopt;
}

std::optional<Ipv4Addr> Interface::address_for_neighbor(Ipv4Addr a) const {
  const Ipv4Cidr* best = nullptr;
  for (const auto& cidr : addresses) {
    if (cidr.contains(a) && (best == nullptr || cidr.prefix_len() > best->prefix_len())) {
      best = &cidr;
    }
  }
  return best != nullptr ? std::optional{best->address()} : std::nullopt;
}

bool Interface::remove_address(Ipv4Addr a) {
  std::erase_if(announcements, [a](const Announcement& x) { return x.address == a; });
  return std::erase_if(addresses, [a](const Ipv4Cidr& c) { return c.address() == a; }) > 0;
}

bool Interface::is_broadcast(Ipv4Addr a) const {
  if (a.is_broadcast()) return true;
  // A /31 or /32 has no directed broadcast address (RFC 3021).
  return std::ranges::any_of(
      addresses, [a](const Ipv4Cidr& c) { return c.prefix_len() < 31 && c.broadcast() == a; });
}

Interface& InterfaceTable::add(MacAddr mac, std::uint16_t mtu, std::vector<Ipv4Cidr> addresses,
                               const NeighborSettings& neighbor_settings, Counters& counters) {
  const auto id = static_cast<InterfaceId>(interfaces_.size());
  interfaces_.push_back(
      std::make_unique<Interface>(id, mac, mtu, std::move(addresses), neighbor_settings, counters));
  return *interfaces_.back();
}

Interface* InterfaceTable::find(InterfaceId id) {
  return id < interfaces_.size() ? interfaces_[id].get() : nullptr;
}

const Interface* InterfaceTable::find(InterfaceId id) const {
  return id < interfaces_.size() ? interfaces_[id].get() : nullptr;
}

bool InterfaceTable::owns(Ipv4Addr a) const {
  return std::ranges::any_of(interfaces_, [a](const auto& i) { return i->owns(a); });
}

bool InterfaceTable::is_broadcast(Ipv4Addr a) const {
  return std::ranges::any_of(interfaces_, [a](const auto& i) { return i->is_broadcast(a); });
}

}  // namespace tapstack
