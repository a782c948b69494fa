#include "daemon/metrics/metrics_collector.hpp"

#include <chrono>
#include <string_view>

#include "stack/tcp/tcp_layer.hpp"
#include "stack/udp/udp_layer.hpp"

namespace tapstack::daemon::metrics {
namespace {

MetricFamily gauge(std::string_view name, std::string help, std::uint64_t value) {
  return MetricFamily{"tapstack_" + std::string{name},
                      std::move(help),
                      MetricType::gauge,
                      {MetricSample{{}, value}}};
}

// Prometheus counter names end in _total (the naming conventions of the exposition formats).
MetricFamily counter(std::string_view name, std::string help) {
  return MetricFamily{
      "tapstack_" + std::string{name} + "_total", std::move(help), MetricType::counter, {}};
}

void add_gauges(const MetricsSources& s, std::vector<MetricFamily>& out) {
  out.push_back(gauge("up", "1 while tapstackd serves scrapes", 1));
  out.push_back(MetricFamily{"tapstack_build_info",
                             "the tapstackd version, in the label; the value is always 1",
                             MetricType::gauge,
                             {MetricSample{{{"version", s.version}}, 1}}});
  out.push_back(gauge("start_time_seconds", "when tapstackd started, in seconds since the epoch",
                      s.start_time_seconds));
  out.push_back(gauge("tcp_connections", "TCP connections the stack holds (every state)",
                      s.stack.tcp().connection_count()));
  out.push_back(
      gauge("tcp_sockets", "open TCP sockets, listeners included", s.stack.tcp().socket_count()));
  out.push_back(gauge("udp_sockets", "open UDP sockets", s.stack.udp().socket_count()));
  out.push_back(
      gauge("ipc_clients", "programs connected over the IPC socket", s.ipc.client_count()));
  out.push_back(gauge("ipc_sockets", "sockets owned by IPC clients", s.ipc.socket_count()));
}

// One sample per device, labelled with its TAP name, so interfaces can be told apart.
void add_device_counters(const MetricsSources& s, std::vector<MetricFamily>& out) {
  const std::size_t first = out.size();
  for (const auto& [name, value] : tapdev::DeviceCounters{}.named()) {
    out.push_back(counter("tap_" + std::string{name},
                          "TAP device I/O counter tap_" + std::string{name} + ", per interface"));
  }
  for (const Device& device : s.devices) {
    const auto named = device.io->counters().named();
    for (std::size_t i = 0; i < named.size(); ++i) {
      out[first + i].samples.push_back(
          MetricSample{{{"interface", device.tap.name()}}, named[i].second});
    }
  }
}

}  // namespace

std::vector<MetricFamily> collect_metrics(const MetricsSources& s) {
  std::vector<MetricFamily> out;
  add_gauges(s, out);
  const Counters& counters = s.stack.counters();
  for (std::size_t i = 0; i < kCounterCount; ++i) {
    MetricFamily family =
        counter(kCounterNames[i],
                "stack counter " + std::string{kCounterNames[i]} + " (tapstackctl stats)");
    family.samples.push_back(MetricSample{{}, counters.all()[i]});
    out.push_back(std::move(family));
  }
  add_device_counters(s, out);
  for (const auto& [name, value] : s.ipc.stats().named()) {
    MetricFamily family =
        counter("ipc_" + std::string{name}, "IPC server counter ipc_" + std::string{name});
    family.samples.push_back(MetricSample{{}, value});
    out.push_back(std::move(family));
  }
  return out;
}

RenderMetrics metrics_renderer(MetricsSources sources) {
  return
      [sources = std::move(sources)] { return render_prometheus_text(collect_metrics(sources)); };
}

std::uint64_t unix_time_seconds() {
  const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(since_epoch).count());
}

}  // namespace tapstack::daemon::metrics
