// IPv4 routing table: longest-prefix match (RFC 1812 §5.2.4.3) and the choice of next hop,
// the gateway for indirect routes or the destination itself on-link (RFC 1122 §3.3.1).
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <vector>

#include "stack/base/address.hpp"
#include "stack/base/interface_id.hpp"

namespace tapstack {

struct Route {
  Ipv4Cidr prefix;  // stored normalised to the network address (10.1.2.3/8 -> 10.0.0.0/8)
  std::optional<Ipv4Addr> gateway;  // nullopt: destinations are on-link
  InterfaceId interface = 0;
  Ipv4Addr preferred_source;  // source address for packets we originate on this route

  bool operator==(const Route&) const = default;
};

struct RouteLookup {
  const Route* route;  // points into the table: valid until the next add() or remove()
  Ipv4Addr next_hop;   // the gateway, or the destination itself for an on-link route
};

// A small table of routes ordered by prefix length, longest first, so the first match of a linear
// scan is the longest prefix. Right for the tens of routes a TAP daemon configures; a trie would
// pay off only with thousands. Bounded by `capacity`.
class RouteTable {
 public:
  static constexpr std::size_t kDefaultCapacity = 256;

  explicit RouteTable(std::size_t capacity = kDefaultCapacity) : capacity_(capacity) {}

  // Adds `route` with its prefix normalised. False if a route for the same prefix (network and
  // length) exists already, or the table is full.
  bool add(const Route& route);
  // Removes the route for `prefix` (normalised first). False if there is none.
  bool remove(Ipv4Cidr prefix);
  // The route for exactly `prefix` (normalised first), not a lookup: nullptr if there is none.
  // Valid until the next add() or remove().
  const Route* find(Ipv4Cidr prefix) const;
  // Changes the source address of the route for `prefix` (when the old one goes away).
  // False if there is no such route.
  bool set_preferred_source(Ipv4Cidr prefix, Ipv4Addr source);
  // RFC 1812 §5.2.4.3: the matching route with the longest prefix; nullopt if none matches.
  std::optional<RouteLookup> lookup(Ipv4Addr destination) const;
  // All routes, longest prefix first (equal lengths in insertion order).
  std::span<const Route> routes() const { return routes_; }

 private:
  std::size_t capacity_;
  std::vector<Route> routes_;
};

}  // namespace tapstack
