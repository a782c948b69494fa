// The Prometheus text renderer (daemon/metrics/prometheus_text.hpp): exact output for a small
// input, escaping, and metric names reduced to [a-zA-Z0-9_].
#include "daemon/metrics/prometheus_text.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace tapstack::daemon::metrics {
namespace {

TEST(PrometheusText, RendersHelpTypeAndSamplesExactly) {
  const std::vector<MetricFamily> families{
      {"tapstack_up", "1 while tapstackd serves scrapes", MetricType::gauge, {{{}, 1}}},
      {"tapstack_tap_rx_frames_total",
       "frames read",
       MetricType::counter,
       {{{{"interface", "tap0"}}, 42}, {{{"interface", "tap1"}, {"queue", "0"}}, 0}}},
      {"tapstack_ipv4_rx_packets_total",
       "packets",
       MetricType::counter,
       {{{}, 18446744073709551615u}}},
  };
  EXPECT_EQ(render_prometheus_text(families),
            "# HELP tapstack_up 1 while tapstackd serves scrapes\n"
            "# TYPE tapstack_up gauge\n"
            "tapstack_up 1\n"
            "# HELP tapstack_tap_rx_frames_total frames read\n"
            "# TYPE tapstack_tap_rx_frames_total counter\n"
            "tapstack_tap_rx_frames_total{interface=\"tap0\"} 42\n"
            "tapstack_tap_rx_frames_total{interface=\"tap1\",queue=\"0\"} 0\n"
            "# HELP tapstack_ipv4_rx_packets_total packets\n"
            "# TYPE tapstack_ipv4_rx_packets_total counter\n"
            "tapstack_ipv4_rx_packets_total 18446744073709551615\n");
}

TEST(PrometheusText, NothingInNothingOut) {
  EXPECT_EQ(render_prometheus_text({}), "");
}

// The format: HELP escapes \ and line feed; label values escape \, " and line feed.
TEST(PrometheusText, EscapesHelpAndLabelValues) {
  const std::vector<MetricFamily> families{
      {"m", "a \\ b\nc \"d\"", MetricType::gauge, {{{{"l", "x\\y\"z\nw"}}, 7}}}};
  EXPECT_EQ(render_prometheus_text(families),
            "# HELP m a \\\\ b\\nc \"d\"\n"
            "# TYPE m gauge\n"
            "m{l=\"x\\\\y\\\"z\\nw\"} 7\n");
}

TEST(PrometheusText, SanitizesMetricAndLabelNames) {
  const std::vector<MetricFamily> families{
      {"tapstack_tap-0.rx_total", "h", MetricType::counter, {{{{"dev.name", "tap0"}}, 3}}}};
  EXPECT_EQ(render_prometheus_text(families),
            "# HELP tapstack_tap_0_rx_total h\n"
            "# TYPE tapstack_tap_0_rx_total counter\n"
            "tapstack_tap_0_rx_total{dev_name=\"tap0\"} 3\n");
}

TEST(SanitizeMetricName, KeepsOnlyLettersDigitsAndUnderscores) {
  EXPECT_EQ(sanitize_metric_name("tapstack_ipv4_rx_packets_total"),
            "tapstack_ipv4_rx_packets_total");
  EXPECT_EQ(sanitize_metric_name("a-b.c d:e/f"), "a_b_c_d_e_f");
  EXPECT_EQ(sanitize_metric_name("CamelCase9"), "CamelCase9");
  EXPECT_EQ(sanitize_metric_name("9lives"), "_9lives");  // a name cannot start with a digit
  EXPECT_EQ(sanitize_metric_name(""), "_");
  EXPECT_EQ(sanitize_metric_name("caf\xc3\xa9"), "caf__");  // each byte outside the set
}

}  // namespace
}  // namespace tapstack::daemon::metrics
