// tapstackd's single event loop (DESIGN.md §1): Boost.Asio's io_context waits for device
// completions (each FrameIo's eventfd), the earliest deadline (one steady_timer) and signals;
// every wake-up runs one turn: read the clock once, feed received frames to the stack (through
// the rx fault injectors when fault injection is on), run its timers, hand the TCP events to the
// built-in services (whose calls queue frames), then hand the stack's frames to the devices
// (through the tx fault injectors) and submit them with one io_uring_submit per device.
#pragma once

#include <span>

#include "daemon/device.hpp"
#include "daemon/fault_path.hpp"
#include "daemon/ipc/ipc_server.hpp"
#include "daemon/log.hpp"
#include "daemon/reload.hpp"
#include "daemon/services/services.hpp"
#include "stack/stack.hpp"

namespace tapstack::daemon {

// The current time on the stack's clock: std::chrono::steady_clock, whose epoch becomes the
// stack's. Read once per loop turn; nothing else in the process reads a clock for the stack.
Instant steady_now();

// Installs the signal handlers, starts the IPC server (clients' sockets) and, when the config's
// `metrics` is enabled, the metrics endpoint (a failure to listen is returned), logs
// `info: ready`, and runs until SIGINT or SIGTERM. SIGUSR1 logs the counters and keeps running;
// SIGHUP reloads the configuration from `reload` and applies what can change live
// (daemon/reload.hpp) to the running `config`. `devices` carry the stack
// interfaces they serve; `stack`, `devices`, `services` and `faults` (nullptr: no fault injection;
// else one injector pair per device, in the order of `devices`) outlive the call. On a stop signal
// the services close their connections and listeners and the resulting frames are submitted. Does
// not dump counters or close devices on return.
Result<void, std::string> run_event_loop(Stack& stack, std::span<Device> devices,
                                         services::Services& services, FaultPath* faults,
                                         const ipc::IpcServerSettings& ipc, Logger& log,
                                         std::string_view version, const config::Config& config,
                                         ConfigSource reload);

}  // namespace tapstack::daemon
