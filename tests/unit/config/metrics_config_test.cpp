// The `metrics:` section (config/defaults.yaml): `listen` off, a Unix path or HOST:PORT, and the
// exact messages for values it refuses, with their FILE:LINE:COL.
#include <gtest/gtest.h>

#include "config/field_parsers.hpp"
#include "config/loader.hpp"

namespace tapstack::config {
namespace {

std::string load_error(std::string_view yaml) {
  try {
    load_config_text(yaml, "test.yaml");
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "no error";
}

constexpr std::string_view kExpectation =
    "expected \"\" (off), an absolute path of at most 107 bytes or HOST:PORT such as "
    "127.0.0.1:9465, got ";

TEST(ParseMetricsListen, EmptyIsOff) {
  const auto off = parse_metrics_listen("");
  ASSERT_TRUE(off);
  EXPECT_FALSE(off->enabled());
}

TEST(ParseMetricsListen, AnAbsolutePathIsAUnixSocket) {
  const auto unix_socket = parse_metrics_listen("/run/tapstack/metrics.sock");
  ASSERT_TRUE(unix_socket);
  EXPECT_EQ(unix_socket->unix_path, "/run/tapstack/metrics.sock");
  EXPECT_EQ(unix_socket->tcp, std::nullopt);
  EXPECT_TRUE(unix_socket->enabled());
}

TEST(ParseMetricsListen, HostColonPortIsATcpListener) {
  const auto tcp = parse_metrics_listen("127.0.0.1:9465");
  ASSERT_TRUE(tcp);
  EXPECT_EQ(tcp->unix_path, "");
  EXPECT_EQ(tcp->tcp, (SocketAddress{Ipv4Addr(127, 0, 0, 1), 9465}));
  EXPECT_TRUE(tcp->enabled());
  const auto any = parse_metrics_listen("0.0.0.0:65535");
  ASSERT_TRUE(any);
  EXPECT_EQ(any->tcp, (SocketAddress{Ipv4Addr(0, 0, 0, 0), 65535}));
}

TEST(ParseMetricsListen, RefusesEverythingElse) {
  for (const std::string_view bad :
       {"metrics.sock", "127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536",
        "localhost:9465", ":9465", "127.0.0.1:94x", "[::1]:9465", "10.0.0.1/24:80"}) {
    const auto result = parse_metrics_listen(bad);
    ASSERT_FALSE(result) << bad;
    EXPECT_EQ(result.error(), std::string(kExpectation) + quote(bad)) << bad;
  }
  EXPECT_EQ(parse_metrics_listen("224.0.0.1:9465").error(),
            std::string(kExpectation) + "\"224.0.0.1:9465\" (not a unicast address)");
  const std::string too_long = "/" + std::string(107, 'a');
  EXPECT_FALSE(parse_metrics_listen(too_long));
}

TEST(LoadMetricsConfig, ReadsTheListenKey) {
  const Config unix_socket = load_config_text("metrics:\n  listen: /tmp/m.sock\n", "test.yaml");
  EXPECT_EQ(unix_socket.metrics.unix_path, "/tmp/m.sock");
  const Config tcp = load_config_text("metrics: {listen: \"127.0.0.1:9465\"}\n", "test.yaml");
  EXPECT_EQ(tcp.metrics.tcp, (SocketAddress{Ipv4Addr(127, 0, 0, 1), 9465}));
  const Config off = load_config_text("metrics:\n  listen: \"\"\n", "test.yaml");
  EXPECT_EQ(off.metrics, MetricsConfig{});
}

TEST(LoadMetricsConfig, BadValuesFailAtTheirPosition) {
  EXPECT_EQ(load_error("metrics:\n  listen: 127.0.0.1:99999\n"),
            "test.yaml:2:11: metrics.listen: " + std::string(kExpectation) + "\"127.0.0.1:99999\"");
  EXPECT_EQ(load_error("metrics:\n  listen:\n"),
            "test.yaml:2:3: metrics.listen: expected a single value, got nothing");
  EXPECT_EQ(load_error("metrics:\n  port: 9465\n"),
            "test.yaml:2:3: unknown key \"port\" in metrics (known: listen)");
}

// Both sockets remove a stale file at their path before binding: they cannot share one.
TEST(LoadMetricsConfig, TheIpcSocketPathIsRefused) {
  EXPECT_EQ(load_error("ipc: {socket: /tmp/t.sock}\nmetrics:\n  listen: /tmp/t.sock\n"),
            "test.yaml:3:11: metrics.listen: \"/tmp/t.sock\" is already the IPC socket "
            "(ipc.socket)");
}

}  // namespace
}  // namespace tapstack::config
