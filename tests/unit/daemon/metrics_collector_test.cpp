// What /metrics exports (daemon/metrics/metrics_collector.hpp): every stack counter as
// tapstack_<name>_total with its live value, the IPC counters, and the gauges.
#include "daemon/metrics/metrics_collector.hpp"

#include <gtest/gtest.h>

#include <array>
#include <boost/asio/io_context.hpp>
#include <set>
#include <string>

#include "stack/tcp/tcp_layer.hpp"
#include "tapdev/device_counters.hpp"

namespace tapstack::daemon::metrics {
namespace {

class MetricsCollectorTest : public ::testing::Test {
 protected:
  MetricsCollectorTest() {
    InterfaceSettings interface;
    interface.mac = MacAddr{{0x02, 0, 0, 0, 0, 0x01}};
    interface.addresses = {Ipv4Cidr{Ipv4Addr(10, 0, 0, 2), 24}};
    interface_ = stack_.add_interface(interface, Instant{});
  }

  MetricsSources sources() const { return {stack_, {}, ipc_, 1700000000, "9.9.9"}; }

  // The one sample of the family `name`; fails when there is no such family.
  std::uint64_t value_of(const std::vector<MetricFamily>& families, std::string_view name) {
    for (const MetricFamily& family : families) {
      if (family.name == name) {
        EXPECT_EQ(family.samples.size(), 1u) << name;
        return family.samples.empty() ? 0 : family.samples[0].value;
      }
    }
    ADD_FAILURE() << "no family " << name;
    return 0;
  }

  Stack stack_{StackSettings{}};
  InterfaceId interface_ = 0;
  boost::asio::io_context io_;
  ipc::IpcServer ipc_{io_, stack_.tcp(), stack_.udp(), ipc::IpcServerSettings{},
                      [](config::LogLevel, std::string_view) {}};
};

TEST_F(MetricsCollectorTest, ExportsEveryStackCounterWithItsLiveValue) {
  const std::array<std::byte, 3> runt{};
  stack_.receive(interface_, runt, Instant{});  // shorter than an Ethernet header
  const auto families = collect_metrics(sources());
  for (std::size_t i = 0; i < kCounterCount; ++i) {
    const std::string metric = "tapstack_" + std::string{kCounterNames[i]} + "_total";
    EXPECT_EQ(value_of(families, metric), stack_.counters().all()[i]) << metric;
  }
  EXPECT_EQ(value_of(families, "tapstack_eth_drop_truncated_total"), 1u);
  EXPECT_EQ(value_of(families, "tapstack_eth_rx_frames_total"), 1u);
  EXPECT_EQ(value_of(families, "tapstack_tcp_rx_segments_total"), 0u);
}

TEST_F(MetricsCollectorTest, ExportsTheGaugesAndTheIpcCounters) {
  ASSERT_TRUE(stack_.tcp().listen(SocketAddress{Ipv4Addr{}, 80}, 8, {}));
  const auto families = collect_metrics(sources());
  EXPECT_EQ(value_of(families, "tapstack_up"), 1u);
  EXPECT_EQ(value_of(families, "tapstack_start_time_seconds"), 1700000000u);
  EXPECT_EQ(value_of(families, "tapstack_tcp_sockets"), 1u);
  EXPECT_EQ(value_of(families, "tapstack_tcp_connections"), 0u);
  EXPECT_EQ(value_of(families, "tapstack_udp_sockets"), 0u);
  EXPECT_EQ(value_of(families, "tapstack_ipc_clients"), 0u);
  EXPECT_EQ(value_of(families, "tapstack_ipc_sockets"), 0u);
  EXPECT_EQ(value_of(families, "tapstack_ipc_clients_accepted_total"), 0u);
  EXPECT_EQ(value_of(families, "tapstack_ipc_requests_refused_bad_fd_total"), 0u);
  const std::string text = render_prometheus_text(families);
  EXPECT_NE(text.find("\ntapstack_build_info{version=\"9.9.9\"} 1\n"), std::string::npos);
  // The TAP counters exist as families even without devices (one sample per device).
  EXPECT_NE(text.find("\n# TYPE tapstack_tap_rx_frames_total counter\n"), std::string::npos);
}

// Prometheus conventions: names unique and valid, counters and only counters end in _total.
TEST_F(MetricsCollectorTest, NamesFollowThePrometheusConventions) {
  std::set<std::string> seen;
  for (const MetricFamily& family : collect_metrics(sources())) {
    EXPECT_TRUE(seen.insert(family.name).second) << "twice: " << family.name;
    EXPECT_EQ(sanitize_metric_name(family.name), family.name);
    EXPECT_TRUE(family.name.starts_with("tapstack_")) << family.name;
    EXPECT_EQ(family.name.ends_with("_total"), family.type == MetricType::counter) << family.name;
    EXPECT_FALSE(family.help.empty()) << family.name;
  }
  // stack, tap and ipc counters; 8 gauges
  EXPECT_EQ(seen.size(), kCounterCount + tapdev::DeviceCounters{}.named().size() + 8 + 8);
}

}  // namespace
}  // namespace tapstack::daemon::metrics
