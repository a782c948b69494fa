// IPv4 routing table: RFC 1812 §5.2.4.3 longest-prefix match, RFC 1122 §3.3.1 next hop.
#include "stack/ipv4/route_table.hpp"

#include <algorithm>

namespace tapstack {
namespace {

Ipv4Cidr normalised(Ipv4Cidr prefix) {
  return Ipv4Cidr{prefix.network(), prefix.prefix_len()};
}

}  // namespace

bool RouteTable::add(const Route& route) {
  Route entry = route;
  entry.prefix = normalised(route.prefix);
  if (routes_.size() >= capacity_) return false;
  if (std::ranges::any_of(routes_, [&](const Route& r) { return r.prefix == entry.prefix; })) {
    return false;
  }
  // Keep longest prefixes first; a new route goes after those of equal length.
  const auto position = std::ranges::find_if(
      routes_, [&](const Route& r) { return r.prefix.prefix_len() < entry.prefix.prefix_len(); });
  routes_.insert(position, entry);
  return true;
}

bool RouteTable::remove(Ipv4Cidr prefix) {
  const Ipv4Cidr key = normalised(prefix);
  return std::erase_if(routes_, [&](const Route& r) { return r.prefix == key; }) > 0;
}

const Route* RouteTable::find(Ipv4Cidr prefix) const {
  const Ipv4Cidr key = normalised(prefix);
  const auto it = std::ranges::find(routes_, key, &Route::prefix);
  return it != routes_.end() ? &*it : nullptr;
}

bool RouteTable::set_preferred_source(Ipv4Cidr prefix, Ipv4Addr source) {
  const Ipv4Cidr key = normalised(prefix);
  const auto it = std::ranges::find(routes_, key, &Route::prefix);
  if (it == routes_.end()) return false;
  it->preferred_source = source;
  return true;
}

std::optional<RouteLookup> RouteTable::lookup(Ipv4Addr destination) const {
  const auto match =
      std::ranges::find_if(routes_, [&](const Route& r) { return r.prefix.contains(destination); });
  if (match == routes_.end()) return std::nullopt;
  // RFC 1122 §3.3.1.1-2: on-link destinations are sent to directly, others to the gateway.
  return RouteLookup{.route = &*match, .next_hop = match->gateway.value_or(destination)};
}

}  // namespace tapstack
