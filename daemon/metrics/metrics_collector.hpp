// What tapstackd exports at /metrics: every counter `tapstackctl stats` shows (the stack's, the
// TAP devices' per interface, the IPC server's) as Prometheus counters named
// tapstack_<name>_total, the socket and client gauges of `tapstackctl status`, and the usual
// tapstack_up, tapstack_build_info and tapstack_start_time_seconds. Read when a scrape arrives,
// in the event loop's thread: no copies, no locks.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "daemon/device.hpp"
#include "daemon/ipc/ipc_server.hpp"
#include "daemon/metrics/metrics_http.hpp"
#include "daemon/metrics/prometheus_text.hpp"
#include "stack/stack.hpp"

namespace tapstack::daemon::metrics {

// What the metrics are read from; everything outlives the collector.
struct MetricsSources {
  const Stack& stack;
  std::span<const Device> devices;
  const ipc::IpcServer& ipc;
  std::uint64_t start_time_seconds;  // the daemon's start, seconds since the Unix epoch
  std::string version;
};

// Every metric family, in a fixed order: gauges first, then the counters.
std::vector<MetricFamily> collect_metrics(const MetricsSources& sources);

// Renders the exposition text of collect_metrics(sources) on every call (metrics_http.hpp).
RenderMetrics metrics_renderer(MetricsSources sources);

// The seconds since the Unix epoch now (the wall clock, for tapstack_start_time_seconds).
std::uint64_t unix_time_seconds();

}  // namespace tapstack::daemon::metrics
