// Stack::add_address and Stack::remove_address: addresses that come and go while the stack runs
// (issue 9), with the routes, announcements and connections that depend on them.
#include <vector>

#include "stack/stack_impl.hpp"

namespace tapstack {
namespace {

// RFC 1122 §3.2.1.3: never a host's own address: 0/8 ("this network"), 127/8, class D and E, and
// the limited broadcast.
bool unicast_host_address(Ipv4Addr a) {
  return (a.value() >> 24) != 0 && !a.is_loopback() && !a.is_multicast() && !a.is_reserved() &&
         !a.is_broadcast();
}

// RFC 1122 §3.2.1.3 (host number all zeros or all ones) with RFC 3021's exception: a /31 has
// neither, and a /32 is a single host.
bool network_or_broadcast(Ipv4Cidr cidr) {
  return cidr.prefix_len() < 31 &&
         (cidr.address() == cidr.network() || cidr.address() == cidr.broadcast());
}

Ipv4Cidr subnet_of(Ipv4Cidr cidr) {
  return Ipv4Cidr{cidr.network(), cidr.prefix_len()};
}

// The source a route gets when its own goes away: an address that still makes the route work,
// as Linux promotes a secondary address of the same subnet.
std::optional<Ipv4Addr> replacement_source(const Interface& interface, const Route& route) {
  // A gateway must stay on-link (RFC 1122 §3.3.1.2), seen from the new source's subnet.
  if (route.gateway) return interface.address_for_neighbor(*route.gateway);
  for (const Ipv4Cidr& cidr : interface.addresses) {
    if (subnet_of(cidr) == route.prefix) return cidr.address();
  }
  return std::nullopt;
}

// After `removed` left interface `id`: the routes that used it as their source, and the
// on-link route of its subnet, get a replacement source or go.
void update_routes_after_removal(RouteTable& routes, const InterfaceTable& interfaces,
                                 InterfaceId id, Ipv4Cidr removed) {
  const Ipv4Cidr subnet = subnet_of(removed);
  std::vector<Route> affected;  // a copy: the loop below changes the table
  for (const Route& route : routes.routes()) {
    const bool own_subnet = !route.gateway && route.prefix == subnet && route.interface == id;
    if (route.preferred_source == removed.address() || own_subnet) affected.push_back(route);
  }
  for (const Route& route : affected) {
    const Interface* interface = interfaces.find(route.interface);
    const auto source = interface != nullptr ? replacement_source(*interface, route) : std::nullopt;
    if (source) {
      routes.set_preferred_source(route.prefix, *source);
    } else {
      routes.remove(route.prefix);
    }
  }
}

}  // namespace

Result<void, AddressError> Stack::add_address(InterfaceId id, Ipv4Cidr cidr, Instant now) {
  Impl& s = *impl_;
  Interface* interface = s.interfaces.find(id);
  if (interface == nullptr) return unexpected(AddressError::no_such_interface);
  if (cidr.prefix_len() > 32) return unexpected(AddressError::invalid_prefix);
  const Ipv4Addr address = cidr.address();
  if (!unicast_host_address(address)) return unexpected(AddressError::not_unicast);
  if (s.interfaces.owns(address)) return unexpected(AddressError::already_assigned);
  // Neither may the new address be a broadcast address of a subnet of ours, nor the new subnet's
  // broadcast one of our addresses: a datagram to it would be both unicast and broadcast.
  if (network_or_broadcast(cidr) || s.interfaces.is_broadcast(address) ||
      (cidr.prefix_len() < 31 && s.interfaces.owns(cidr.broadcast()))) {
    return unexpected(AddressError::subnet_broadcast);
  }
  if (interface->addresses.size() >= Interface::kMaxAddresses) {
    return unexpected(AddressError::table_full);
  }
  const Ipv4Cidr subnet = subnet_of(cidr);
  if (s.routes.find(subnet) == nullptr &&
      !s.routes.add(Route{subnet, std::nullopt, interface->id, address})) {
    return unexpected(AddressError::table_full);
  }
  interface->addresses.push_back(cidr);
  s.counters.add(Counter::ipv4_address_added);
  s.arp.start_announcement(*interface, address, now);
  return {};
}

Result<void, AddressError> Stack::remove_address(InterfaceId id, Ipv4Addr address, Instant now) {
  Impl& s = *impl_;
  Interface* interface = s.interfaces.find(id);
  if (interface == nullptr) return unexpected(AddressError::no_such_interface);
  const auto cidr = interface->find_address(address);
  if (!cidr) return unexpected(AddressError::not_assigned);
  // First, while the address and its routes still exist: the resets leave from it.
  s.tcp.reset_local_address(address, now);
  interface->remove_address(address);
  update_routes_after_removal(s.routes, s.interfaces, id, *cidr);
  s.counters.add(Counter::ipv4_address_removed);
  return {};
}

}  // namespace tapstack
