#include "stack/stack_tables.hpp"

#include "stack/stack_impl.hpp"

namespace tapstack {

std::string_view to_string(RouteKind kind) {
  switch (kind) {
    case RouteKind::on_link:
      return "on-link";
    case RouteKind::default_route:
      return "default";
    case RouteKind::static_route:
      return "static";
  }
  return "?";
}

std::string_view to_string(AddressError error) {
  switch (error) {
    case AddressError::no_such_interface:
      return "no_such_interface";
    case AddressError::invalid_prefix:
      return "invalid_prefix";
    case AddressError::not_unicast:
      return "not_unicast";
    case AddressError::subnet_broadcast:
      return "subnet_broadcast";
    case AddressError::already_assigned:
      return "already_assigned";
    case AddressError::table_full:
      return "table_full";
    case AddressError::not_assigned:
      return "not_assigned";
  }
  return "?";
}

}  // namespace tapstack

namespace tapstack {

std::vector<InterfaceSummary> Stack::interfaces() const {
  std::vector<InterfaceSummary> out;
  for (const auto& interface : impl_->interfaces) {
    out.push_back({interface->id, interface->mac, interface->mtu, interface->addresses});
  }
  return out;
}

std::vector<RouteSummary> Stack::routes() const {
  std::vector<RouteSummary> out;
  for (const Route& route : impl_->routes.routes()) {
    const RouteKind kind = !route.gateway                   ? RouteKind::on_link
                           : route.prefix.prefix_len() == 0 ? RouteKind::default_route
                                                            : RouteKind::static_route;
    out.push_back({route.prefix, route.gateway, route.interface, route.preferred_source, kind});
  }
  return out;
}

std::vector<NeighborSummary> Stack::neighbors(Instant now) const {
  std::vector<NeighborSummary> out;
  for (const auto& interface : impl_->interfaces) {
    for (const NeighborInfo& entry : interface->neighbors.snapshot(now)) {
      const bool resolved = entry.state != NeighborState::incomplete;
      out.push_back({interface->id, entry.ip, resolved ? std::optional{entry.mac} : std::nullopt,
                     entry.state, entry.age, entry.requests_sent, entry.pending_packets});
    }
  }
  return out;
}

}  // namespace tapstack
