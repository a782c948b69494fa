// What the Stack shows of its tables to an operator (`tapstackctl addr|route|neigh`), as plain
// copies: listing allocates and is meant for the control interface, not the packet path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "stack/arp/neighbor_cache.hpp"
#include "stack/base/address.hpp"
#include "stack/base/interface_id.hpp"
#include "stack/base/time.hpp"

namespace tapstack {

struct InterfaceSummary {
  InterfaceId id = 0;
  MacAddr mac;
  std::uint16_t mtu = 0;            // IP MTU
  std::vector<Ipv4Cidr> addresses;  // in the order they were added
};

// Derived from the route's fields: on_link has no gateway (the subnet of one of our addresses),
// default_route is 0.0.0.0/0 through a gateway, static_route any other prefix through one.
enum class RouteKind : std::uint8_t { on_link, default_route, static_route };
std::string_view to_string(RouteKind kind);  // "on-link", "default", "static"

struct RouteSummary {
  Ipv4Cidr prefix;  // normalised to the network address
  std::optional<Ipv4Addr> gateway;
  InterfaceId interface = 0;
  Ipv4Addr preferred_source;
  RouteKind kind = RouteKind::on_link;
};

struct NeighborSummary {
  InterfaceId interface = 0;
  Ipv4Addr ip;
  std::optional<MacAddr> mac;  // nullopt while incomplete
  NeighborState state = NeighborState::incomplete;
  Duration age{};  // since confirmation (reachable) or the first request (incomplete)
  std::uint32_t requests_sent = 0;
  std::size_t pending_packets = 0;  // IPv4 packets waiting for the resolution
};

// Why Stack::add_address or remove_address refused.
enum class AddressError : std::uint8_t {
  no_such_interface,
  invalid_prefix,    // prefix length above 32
  not_unicast,       // 0/8, loopback, multicast, class E or the limited broadcast
  subnet_broadcast,  // network or broadcast address of its subnet, or of one of ours
  already_assigned,  // ours already, on this or another interface
  table_full,        // the interface's addresses or the route table
  not_assigned,      // remove: not an address of that interface
};
std::string_view to_string(AddressError error);  // the enumerator's name

}  // namespace tapstack
