// tapstackd: the thin composition (DESIGN.md §1). Parses the configuration, opens and configures
// the TAP devices, starts the built-in TCP services, hands the frames to the Stack in one event
// loop (through fault injectors when configured), and on SIGTERM/SIGINT closes the services'
// connections, dumps the counters, releases the devices and exits 0. Start-up failures exit 1 with
// `error: CAUSE`; configuration errors exit 2 (config/cli_options.hpp).
#include <sys/random.h>

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <optional>
#include <string>
#include <vector>

#include "config/cli_options.hpp"
#include "daemon/counter_dump.hpp"
#include "daemon/device.hpp"
#include "daemon/event_loop.hpp"
#include "daemon/fault_path.hpp"
#include "daemon/host_nat.hpp"
#include "daemon/log.hpp"
#include "daemon/services/services.hpp"
#include "daemon/settings.hpp"
#include "stack/stack.hpp"
#include "stack/tcp/tcp_layer.hpp"
#include "tapdev/errno_text.hpp"

namespace tapstack::daemon {

inline constexpr int kExitStartupFailure = 1;

namespace {

// The stack's random source is seeded from the kernel (ISNs and IP ids must not be guessable).
Result<std::uint64_t, std::string> random_seed() {
  std::uint64_t seed = 0;
  for (;;) {
    const ssize_t got = ::getrandom(&seed, sizeof(seed), 0);
    if (got == static_cast<ssize_t>(sizeof(seed))) return seed;
    if (got < 0 && errno != EINTR) return unexpected("getrandom: " + tapdev::errno_text(errno));
  }
}

// Opens every configured device, adds its interface and the default route to `stack`.
Result<void, std::string> set_up(const config::Config& config, Stack& stack,
                                 std::vector<Device>& devices, const Logger& log) {
  const bool offloads = wants_offloads(config);
  if (config.tap.offloads && !offloads) {
    log.info("offloads off: fault injection needs every checksum computed and checked");
  }
  for (const config::InterfaceConfig& interface : config.interfaces) {
    auto device = open_device(interface, config.tap, offloads, log);
    if (!device) return unexpected(device.error());
    devices.push_back(std::move(*device));
  }
  const Instant now = steady_now();
  for (std::size_t i = 0; i < devices.size(); ++i) {
    devices[i].interface =
        stack.add_interface(interface_settings(config.interfaces[i], devices[i].offloads), now);
  }
  if (config.gateway && !stack.set_default_gateway(*config.gateway)) {
    return unexpected("gateway " + config.gateway->to_string() +
                      " is not on-link on any interface");
  }
  for (const config::RouteConfig& route : config.routes) {
    if (!stack.add_static_route(route.to, route.via)) {
      return unexpected("route to " + route.to.to_string() + " via " + route.via.to_string() +
                        " could not be added (next hop not on-link, or the table is full)");
    }
  }
  return {};
}

// Listens for every enabled built-in service and logs where.
Result<void, std::string> start_services(const config::Config& config, services::Services& services,
                                         const Logger& log) {
  if (auto started = services.start(config.services); !started) return started;
  for (const services::Listening& listening : services.listening()) {
    log.info("service " + std::string{services::to_string(listening.kind)} + " on port " +
             std::to_string(listening.port));
  }
  return {};
}

std::optional<FaultPath> fault_path(const config::Config& config, const StackSettings& stack,
                                    const Logger& log) {
  if (!config.fault_injection.enabled()) return std::nullopt;
  log.info("fault injection on: " + FaultPath::describe(config.fault_injection));
  return std::optional<FaultPath>{std::in_place, config.fault_injection, config.interfaces.size(),
                                  kEthernetHeaderSize + stack.max_mtu,
                                  std::size_t{config.tap.tx_buffers} * config.interfaces.size()};
}

int run(const config::Config& config, Logger& log, ConfigSource reload) {
  const auto seed = random_seed();
  if (!seed) {
    log.error(seed.error());
    return kExitStartupFailure;
  }
  const StackSettings settings = stack_settings(config, *seed);
  Stack stack{settings};
  // Declared before the devices: their writes in flight hold buffers of the fault path's pool.
  std::optional<FaultPath> faults = fault_path(config, settings, log);
  // Declared after the stack: devices go first, since writes in flight hold the stack's buffers.
  std::vector<Device> devices;
  if (auto ready = set_up(config, stack, devices, log); !ready) {
    log.error(ready.error());
    close_devices(devices, log);
    return kExitStartupFailure;
  }
  // Host-side forwarding and NAT, undone when `host_nat` goes out of scope on any return.
  std::unique_ptr<HostNat> host_nat;
  if (config.host_nat.enabled) {
    auto enabled = HostNat::enable(config, log);
    if (!enabled) {
      log.error(enabled.error());
      close_devices(devices, log);
      return kExitStartupFailure;
    }
    host_nat = std::move(*enabled);
  }
  services::Services services{stack.tcp(), TAPSTACK_VERSION, steady_now()};
  if (auto started = start_services(config, services, log); !started) {
    log.error(started.error());
    close_devices(devices, log);
    return kExitStartupFailure;
  }
  ipc::IpcServerSettings ipc;
  ipc.socket_path = config.ipc.socket_path;
  ipc.group = config.ipc.group;
  ipc.max_clients = config.ipc.max_clients;
  ipc.max_sockets_per_client = config.ipc.max_sockets_per_client;
  ipc.max_sockets = config.ipc.max_sockets;
  ipc.max_buffer_per_client = config.ipc.max_buffer_per_client;
  ipc.unprivileged_port_start = config.ipc.unprivileged_port_start;
  ipc.tcp = settings.tcp;
  ipc.udp = settings.udp;
  const auto ran = run_event_loop(stack, devices, services, faults ? &*faults : nullptr, ipc, log,
                                  TAPSTACK_VERSION, config, std::move(reload));
  if (!ran) {
    log.error(ran.error());
    close_devices(devices, log);
    return kExitStartupFailure;
  }
  log_counters(log, stack.counters(), devices);
  close_devices(devices, log);
  return 0;
}

}  // namespace
}  // namespace tapstack::daemon

int main(int argc, char** argv) {
  namespace ts = tapstack;
  // A write to a closed pipe must fail with EPIPE, not end the daemon: stderr may be a pipe whose
  // reader is gone (a dead log collector), and packet processing goes on without logs. Sockets
  // already pass MSG_NOSIGNAL; this covers write(2) on stderr and any other descriptor.
  std::signal(SIGPIPE, SIG_IGN);
  ts::config::CliOutcome outcome = ts::config::parse_command_line(argc, argv, TAPSTACK_VERSION);
  if (!outcome.config) {
    std::fputs(outcome.output.c_str(), outcome.to_stderr ? stderr : stdout);
    return outcome.exit_code;
  }
  ts::daemon::Logger log{outcome.config->log_level};
  try {
    // SIGHUP reads the configuration again: the same file, the same command-line overrides.
    const auto reload = [argc, argv]() -> ts::Result<ts::config::Config, std::string> {
      ts::config::CliOutcome again = ts::config::parse_command_line(argc, argv, TAPSTACK_VERSION);
      if (!again.config) return ts::unexpected(again.output);
      return std::move(*again.config);
    };
    return ts::daemon::run(*outcome.config, log, reload);
  } catch (const std::exception& failure) {
    // Only start-up and the event loop's own setup can throw (Asio reports errors that way).
    log.error(failure.what());
    return ts::daemon::kExitStartupFailure;
  }
}
