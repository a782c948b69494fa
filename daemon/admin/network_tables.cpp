#include "daemon/admin/network_tables.hpp"

#include <cerrno>
#include <chrono>
#include <optional>

#include "stack/stack_tables.hpp"

namespace tapstack::daemon::admin {
namespace {

std::string name_of(std::span<const Device> devices, InterfaceId id) {
  for (const Device& device : devices) {
    if (device.interface == id) return device.tap.name();
  }
  return "if" + std::to_string(id);
}

std::optional<InterfaceId> interface_named(std::span<const Device> devices,
                                           const std::string& name) {
  for (const Device& device : devices) {
    if (device.tap.name() == name) return device.interface;
  }
  return std::nullopt;
}

std::uint32_t errno_of(AddressError error) {
  switch (error) {
    case AddressError::no_such_interface:
      return ENODEV;
    case AddressError::already_assigned:
      return EEXIST;
    case AddressError::table_full:
      return ENOSPC;
    case AddressError::invalid_prefix:
      return EINVAL;
    case AddressError::not_unicast:
    case AddressError::subnet_broadcast:
    case AddressError::not_assigned:
      return EADDRNOTAVAIL;
  }
  return EINVAL;
}

}  // namespace

Table addresses_table(const Stack& stack, std::span<const Device> devices) {
  Table table{{{"interface"}, {"mac"}, {"mtu", true}, {"address"}}};
  for (const InterfaceSummary& interface : stack.interfaces()) {
    const std::string name = name_of(devices, interface.id);
    if (interface.addresses.empty()) {
      table.add_row({name, interface.mac.to_string(), std::to_string(interface.mtu), "-"});
    }
    for (const Ipv4Cidr& address : interface.addresses) {
      table.add_row(
          {name, interface.mac.to_string(), std::to_string(interface.mtu), address.to_string()});
    }
  }
  return table;
}

Table routes_table(const Stack& stack, std::span<const Device> devices) {
  Table table{{{"prefix"}, {"gateway"}, {"interface"}, {"source"}, {"kind"}}};
  for (const RouteSummary& route : stack.routes()) {
    table.add_row({route.prefix.to_string(), route.gateway ? route.gateway->to_string() : "-",
                   name_of(devices, route.interface), route.preferred_source.to_string(),
                   std::string{to_string(route.kind)}});
  }
  return table;
}

Table neighbors_table(const Stack& stack, std::span<const Device> devices, Instant now) {
  Table table{{{"address"},
               {"interface"},
               {"mac"},
               {"state"},
               {"age_ms", true},
               {"requests", true},
               {"pending", true}}};
  for (const NeighborSummary& n : stack.neighbors(now)) {
    const auto age = std::chrono::duration_cast<std::chrono::milliseconds>(n.age).count();
    table.add_row({n.ip.to_string(), name_of(devices, n.interface),
                   n.mac ? n.mac->to_string() : "-", std::string{to_string(n.state)},
                   std::to_string(age), std::to_string(n.requests_sent),
                   std::to_string(n.pending_packets)});
  }
  return table;
}

Result<void, std::uint32_t> change_address(Stack& stack, std::span<const Device> devices,
                                           std::span<const std::string> args, Instant now) {
  if (args.size() != 3 || (args[0] != "add" && args[0] != "del")) {
    return unexpected(std::uint32_t{EINVAL});
  }
  const auto interface = interface_named(devices, args[1]);
  if (!interface) return unexpected(std::uint32_t{ENODEV});
  Result<void, AddressError> done;
  if (args[0] == "add") {
    const auto cidr = Ipv4Cidr::parse(args[2]);
    if (!cidr) return unexpected(std::uint32_t{EINVAL});
    done = stack.add_address(*interface, *cidr, now);
  } else {
    const auto address = Ipv4Addr::parse(args[2]);
    if (!address) return unexpected(std::uint32_t{EINVAL});
    done = stack.remove_address(*interface, *address, now);
  }
  if (!done) return unexpected(errno_of(done.error()));
  return {};
}

}  // namespace tapstack::daemon::admin
