#include "config/validate.hpp"

#include <iterator>
#include <string_view>
#include <utility>

#include "config/units.hpp"

namespace tapstack::config {
namespace {

std::string interface_path(std::size_t index) {
  return "interfaces[" + std::to_string(index) + ']';
}

std::string address_path(std::size_t interface, std::size_t address) {
  return interface_path(interface) + ".addresses[" + std::to_string(address) + ']';
}

std::string list_addresses(const std::vector<Ipv4Cidr>& addresses) {
  std::string text;
  for (const auto& cidr : addresses) {
    if (!text.empty()) text += ", ";
    text += cidr.to_string();
  }
  return text;
}

// The path of the stack address equal to `addr`, if any.
std::optional<std::string> find_stack_address(const Config& config, Ipv4Addr addr) {
  for (std::size_t i = 0; i < config.interfaces.size(); ++i) {
    const auto& addresses = config.interfaces[i].addresses;
    for (std::size_t a = 0; a < addresses.size(); ++a) {
      if (addresses[a].address() == addr) return address_path(i, a);
    }
  }
  return std::nullopt;
}

std::optional<ConfigIssue> check_interface(const Config& config, std::size_t index) {
  const InterfaceConfig& interface = config.interfaces[index];
  const std::string path = interface_path(index);
  if (interface.addresses.empty()) {
    return ConfigIssue{path + ".addresses", "at least one address is required"};
  }
  for (std::size_t earlier = 0; earlier < index; ++earlier) {
    if (config.interfaces[earlier].tap_name == interface.tap_name) {
      return ConfigIssue{path + ".tap", '"' + interface.tap_name + "\" is already used by " +
                                            interface_path(earlier)};
    }
  }
  for (std::size_t a = 0; a < interface.addresses.size(); ++a) {
    const auto owner = find_stack_address(config, interface.addresses[a].address());
    if (owner && *owner != address_path(index, a)) {
      return ConfigIssue{address_path(index, a), interface.addresses[a].address().to_string() +
                                                     " is already assigned to " + *owner};
    }
  }
  return std::nullopt;
}

// The kernel side of the TAP link must share a subnet with the stack to reach it directly.
std::optional<ConfigIssue> check_host_address(const Config& config, std::size_t index) {
  const InterfaceConfig& interface = config.interfaces[index];
  if (!interface.host_address) return std::nullopt;
  const Ipv4Addr host = interface.host_address->address();
  const std::string path = interface_path(index) + ".host_address";
  if (const auto owner = find_stack_address(config, host)) {
    return ConfigIssue{path, host.to_string() + " is the stack's own address (" + *owner +
                                 "); the kernel side needs a different one"};
  }
  for (const auto& cidr : interface.addresses) {
    if (cidr.contains(host)) return std::nullopt;
  }
  return ConfigIssue{path, host.to_string() + " is not on the subnet of any address of " +
                               interface_path(index) + " (" + list_addresses(interface.addresses) +
                               ')'};
}

// A next hop must be directly reachable: on the subnet of one of the stack's addresses.
std::optional<ConfigIssue> check_gateway(const Config& config) {
  if (!config.gateway) return std::nullopt;
  const Ipv4Addr gateway = *config.gateway;
  if (const auto owner = find_stack_address(config, gateway)) {
    return ConfigIssue{"gateway",
                       gateway.to_string() + " is the stack's own address (" + *owner + ')'};
  }
  std::vector<Ipv4Cidr> all_addresses;
  for (const auto& interface : config.interfaces) {
    for (const auto& cidr : interface.addresses) {
      if (cidr.contains(gateway)) return std::nullopt;
      all_addresses.push_back(cidr);
    }
  }
  return ConfigIssue{"gateway", gateway.to_string() +
                                    " is not on the subnet of any interface address (" +
                                    list_addresses(all_addresses) + ')'};
}

// A static route's next hop is directly reachable like the gateway; two routes may not share a
// prefix, and none may cover one of our own subnets exactly (the on-link route has it).
std::optional<ConfigIssue> check_routes(const Config& config) {
  for (std::size_t i = 0; i < config.routes.size(); ++i) {
    const RouteConfig& route = config.routes[i];
    const std::string path = "routes[" + std::to_string(i) + "]";
    if (const auto owner = find_stack_address(config, route.via)) {
      return ConfigIssue{path + ".via",
                         route.via.to_string() + " is the stack's own address (" + *owner + ')'};
    }
    bool on_link = false;
    for (const auto& interface : config.interfaces) {
      for (const auto& cidr : interface.addresses) {
        on_link |= cidr.contains(route.via);
        if (cidr.network() == route.to.network() && cidr.prefix_len() == route.to.prefix_len()) {
          return ConfigIssue{
              path + ".to", route.to.to_string() + " is the on-link subnet of " + cidr.to_string()};
        }
      }
    }
    if (!on_link) {
      return ConfigIssue{path + ".via",
                         route.via.to_string() + " is not on the subnet of any interface address"};
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (config.routes[j].to == route.to) {
        return ConfigIssue{path + ".to",
                           route.to.to_string() + " is also routes[" + std::to_string(j) + "]"};
      }
    }
  }
  return std::nullopt;
}

// RFC 6298 §2: the initial RTO and every computed one lie between the floor and the ceiling;
// a buffer may not start above its autotuning limit.
std::optional<ConfigIssue> check_tcp(const TcpConfig& tcp) {
  if (tcp.rto_min > tcp.rto_max) {
    return ConfigIssue{"tcp.rto_min", format_duration(tcp.rto_min) + " is above tcp.rto_max (" +
                                          format_duration(tcp.rto_max) + ')'};
  }
  if (tcp.rto_initial < tcp.rto_min || tcp.rto_initial > tcp.rto_max) {
    return ConfigIssue{"tcp.rto_initial", format_duration(tcp.rto_initial) +
                                              " is outside tcp.rto_min..tcp.rto_max (" +
                                              format_duration(tcp.rto_min) + ".." +
                                              format_duration(tcp.rto_max) + ')'};
  }
  if (tcp.send_buffer > tcp.send_buffer_max) {
    return ConfigIssue{"tcp.send_buffer", format_size(tcp.send_buffer) +
                                              " is above tcp.send_buffer_max (" +
                                              format_size(tcp.send_buffer_max) + ')'};
  }
  if (tcp.receive_buffer > tcp.receive_buffer_max) {
    return ConfigIssue{"tcp.receive_buffer", format_size(tcp.receive_buffer) +
                                                 " is above tcp.receive_buffer_max (" +
                                                 format_size(tcp.receive_buffer_max) + ')'};
  }
  return std::nullopt;
}

// Two enabled services cannot listen on one port.
std::optional<ConfigIssue> check_services(const ServicesConfig& services) {
  const std::pair<const char*, const ServiceConfig*> all[] = {{"echo", &services.echo},
                                                              {"discard", &services.discard},
                                                              {"chargen", &services.chargen},
                                                              {"http", &services.http}};
  for (std::size_t i = 0; i < std::size(all); ++i) {
    for (std::size_t earlier = 0; earlier < i; ++earlier) {
      const ServiceConfig& a = *all[earlier].second;
      const ServiceConfig& b = *all[i].second;
      if (a.enabled && b.enabled && a.port == b.port) {
        return ConfigIssue{std::string("services.") + all[i].first + ".port",
                           "port " + std::to_string(b.port) + " is already used by services." +
                               all[earlier].first};
      }
    }
  }
  return std::nullopt;
}

// The metrics socket would replace the IPC socket at bind time (each removes a stale file).
std::optional<ConfigIssue> check_metrics(const Config& config) {
  if (!config.metrics.unix_path.empty() && config.metrics.unix_path == config.ipc.socket_path) {
    return ConfigIssue{"metrics.listen", '"' + config.metrics.unix_path +
                                             "\" is already the IPC socket (ipc.socket)"};
  }
  return std::nullopt;
}

}  // namespace

std::optional<ConfigIssue> find_config_issue(const Config& config) {
  if (config.interfaces.empty()) {
    return ConfigIssue{"interfaces", "at least one interface is required"};
  }
  for (std::size_t i = 0; i < config.interfaces.size(); ++i) {
    if (auto issue = check_interface(config, i)) return issue;
  }
  for (std::size_t i = 0; i < config.interfaces.size(); ++i) {
    if (auto issue = check_host_address(config, i)) return issue;
  }
  if (auto issue = check_gateway(config)) return issue;
  if (auto issue = check_routes(config)) return issue;
  if (auto issue = check_tcp(config.tcp)) return issue;
  if (auto issue = check_metrics(config)) return issue;
  return check_services(config.services);
}

}  // namespace tapstack::config
