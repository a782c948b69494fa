// The `tcp:`, `services:` and `fault_injection:` sections: every key read, the parsers'
// spellings, and exact FILE:LINE:COL errors for bad values and inconsistent settings.
#include <gtest/gtest.h>

#include "config/field_parsers.hpp"
#include "config/loader.hpp"

namespace tapstack::config {
namespace {

using namespace std::chrono_literals;

std::string load_error(std::string_view yaml) {
  try {
    load_config_text(yaml, "test.yaml");
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "no error";
}

TEST(TcpSection, ReadsEveryKey) {
  const Config config = load_config_text(
      "tcp:\n"
      "  rto_min: 10ms\n  rto_max: 30s\n  rto_initial: 500ms\n"
      "  retries: 5\n  syn_retries: 2\n  synack_retries: 3\n"
      "  delayed_ack: 10ms\n  time_wait: 2s\n  fin_timeout: 7s\n"
      "  keepalive_idle: 10min\n  keepalive_interval: 5s\n  keepalive_count: 4\n"
      "  send_buffer: 64KiB\n  send_buffer_max: 1MiB\n"
      "  receive_buffer: 32KiB\n  receive_buffer_max: 2MiB\n"
      "  congestion: newreno\n  timestamps: false\n  sack: false\n  window_scaling: false\n"
      "  syn_backlog: 16\n  syn_cookies: false\n  ephemeral_ports: 40000-40099\n"
      "  max_connections: 500\n",
      "test.yaml");
  TcpConfig expected;
  expected.rto_min = 10ms;
  expected.rto_max = 30s;
  expected.rto_initial = 500ms;
  expected.retries = 5;
  expected.syn_retries = 2;
  expected.synack_retries = 3;
  expected.delayed_ack = 10ms;
  expected.time_wait = 2s;
  expected.fin_timeout = 7s;
  expected.keepalive_idle = 10min;
  expected.keepalive_interval = 5s;
  expected.keepalive_count = 4;
  expected.send_buffer = 64 * 1024;
  expected.send_buffer_max = 1024 * 1024;
  expected.receive_buffer = 32 * 1024;
  expected.receive_buffer_max = 2 * 1024 * 1024;
  expected.congestion = CongestionAlgorithm::newreno;
  expected.timestamps = false;
  expected.sack = false;
  expected.window_scaling = false;
  expected.syn_backlog = 16;
  expected.syn_cookies = false;
  expected.ephemeral_first = 40000;
  expected.ephemeral_last = 40099;
  expected.max_connections = 500;
  EXPECT_EQ(config.tcp, expected);
}

TEST(TcpSection, BadValuesAreRejectedWithTheirPosition) {
  EXPECT_EQ(load_error("tcp:\n  rto_min: 0ms\n"),
            "test.yaml:2:12: tcp.rto_min: expected a duration 1ms..10s with a unit (us, ms, s, "
            "min, h), got \"0ms\"");
  EXPECT_EQ(load_error("tcp: {retries: 0}\n"),
            "test.yaml:1:16: tcp.retries: expected an integer 1..100, got \"0\"");
  EXPECT_EQ(load_error("tcp: {congestion: bbr}\n"),
            "test.yaml:1:19: tcp.congestion: expected cubic or newreno, got \"bbr\"");
  EXPECT_EQ(load_error("tcp: {sack: yes}\n"),
            "test.yaml:1:13: tcp.sack: expected true or false, got \"yes\"");
  EXPECT_EQ(load_error("tcp: {send_buffer: 1KiB}\n"),
            "test.yaml:1:20: tcp.send_buffer: expected a size 4KiB..1GiB in bytes, optionally "
            "with a unit (B, KiB, MiB, GiB), got \"1KiB\"");
  EXPECT_EQ(load_error("tcp: {ephemeral_ports: 5000}\n"),
            "test.yaml:1:24: tcp.ephemeral_ports: expected a port range FIRST-LAST within "
            "1024..65535, got \"5000\"");
  EXPECT_EQ(load_error("tcp: {ephemeral_ports: 6000-5000}\n"),
            "test.yaml:1:24: tcp.ephemeral_ports: expected a port range FIRST-LAST within "
            "1024..65535, got \"6000-5000\" (FIRST is above LAST)");
  EXPECT_EQ(load_error("tcp: {rtt: 1s}\n"),
            "test.yaml:1:7: unknown key \"rtt\" in tcp (known: rto_min, rto_max, rto_initial, "
            "retries, syn_retries, synack_retries, delayed_ack, time_wait, fin_timeout, "
            "keepalive_idle, "
            "keepalive_interval, keepalive_count, send_buffer, send_buffer_max, receive_buffer, "
            "receive_buffer_max, congestion, timestamps, sack, window_scaling, syn_backlog, "
            "syn_cookies, ephemeral_ports, max_connections)");
}

TEST(TcpSection, CrossFieldRulesBlameTheField) {
  EXPECT_EQ(load_error("tcp:\n  rto_min: 5s\n  rto_max: 2s\n"),
            "test.yaml:2:12: tcp.rto_min: 5s is above tcp.rto_max (2s)");
  EXPECT_EQ(load_error("tcp:\n  rto_initial: 100ms\n"),
            "test.yaml:2:16: tcp.rto_initial: 100ms is outside tcp.rto_min..tcp.rto_max "
            "(200ms..2min)");
  EXPECT_EQ(load_error("tcp:\n  send_buffer: 8MiB\n"),
            "test.yaml:2:16: tcp.send_buffer: 8MiB is above tcp.send_buffer_max (4MiB)");
  EXPECT_EQ(load_error("tcp:\n  receive_buffer_max: 64KiB\n"),
            "test.yaml:2:3: tcp.receive_buffer: 128KiB is above tcp.receive_buffer_max (64KiB); "
            "tcp.receive_buffer is not set here, so its built-in default applies");
}

TEST(ServicesSection, ReadsEveryKey) {
  const Config config = load_config_text(
      "services:\n"
      "  echo: {enabled: false, port: 7007}\n"
      "  discard: {port: 9009}\n"
      "  chargen: {enabled: false}\n"
      "  http: {port: 8080}\n",
      "test.yaml");
  EXPECT_EQ(config.services.echo, (ServiceConfig{false, 7007}));
  EXPECT_EQ(config.services.discard, (ServiceConfig{true, 9009}));
  EXPECT_EQ(config.services.chargen, (ServiceConfig{false, 19}));
  EXPECT_EQ(config.services.http, (ServiceConfig{true, 8080}));
}

TEST(ServicesSection, BadValuesAndPortClashes) {
  EXPECT_EQ(load_error("services:\n  http: {port: 0}\n"),
            "test.yaml:2:16: services.http.port: expected an integer 1..65535, got \"0\"");
  EXPECT_EQ(load_error("services:\n  echo: {enabled: 1}\n"),
            "test.yaml:2:19: services.echo.enabled: expected true or false, got \"1\"");
  EXPECT_EQ(load_error("services:\n  ftp: {}\n"),
            "test.yaml:2:3: unknown key \"ftp\" in services (known: echo, discard, chargen, "
            "http)");
  EXPECT_EQ(load_error("services:\n  http:\n    port: 7\n"),
            "test.yaml:3:11: services.http.port: port 7 is already used by services.echo");
  // A disabled service does not hold its port.
  const Config config =
      load_config_text("services:\n  echo: {enabled: false}\n  http: {port: 7}\n", "test.yaml");
  EXPECT_EQ(config.services.http.port, 7);
}

TEST(FaultInjectionSection, IsOffByDefault) {
  EXPECT_FALSE(default_config().fault_injection.enabled());
}

TEST(FaultInjectionSection, ReadsEveryKey) {
  const Config config = load_config_text(
      "fault_injection:\n"
      "  seed: 42\n"
      "  rx: {drop: 1.5, duplicate: 2, corrupt: 0.001, reorder: 100, delay: 10ms,\n"
      "       jitter: 3ms, reorder_delay: 7ms, rate: 100Mbit, queue_limit: 50}\n"
      "  tx: {drop: 50, rate: 64kbit}\n",
      "test.yaml");
  const FaultInjectionConfig& faults = config.fault_injection;
  EXPECT_EQ(faults.seed, 42u);
  EXPECT_DOUBLE_EQ(faults.rx.drop, 0.015);
  EXPECT_DOUBLE_EQ(faults.rx.duplicate, 0.02);
  EXPECT_DOUBLE_EQ(faults.rx.corrupt, 0.00001);
  EXPECT_DOUBLE_EQ(faults.rx.reorder, 1.0);
  EXPECT_EQ(faults.rx.delay, 10ms);
  EXPECT_EQ(faults.rx.jitter, 3ms);
  EXPECT_EQ(faults.rx.reorder_delay, 7ms);
  EXPECT_EQ(faults.rx.rate_bits_per_second, 100'000'000u);
  EXPECT_EQ(faults.rx.queue_limit, 50u);
  EXPECT_DOUBLE_EQ(faults.tx.drop, 0.5);
  EXPECT_EQ(faults.tx.rate_bits_per_second, 64'000u);
  EXPECT_EQ(faults.tx.delay, 0ms);
  EXPECT_TRUE(faults.enabled());
}

TEST(FaultInjectionSection, BadValuesAreRejectedWithTheirPosition) {
  EXPECT_EQ(load_error("fault_injection:\n  rx: {drop: 101}\n"),
            "test.yaml:2:14: fault_injection.rx.drop: expected a percentage 0..100 with at most "
            "3 decimals, got \"101\"");
  EXPECT_EQ(load_error("fault_injection:\n  tx: {delay: 11s}\n"),
            "test.yaml:2:15: fault_injection.tx.delay: expected a duration 0s..10s with a unit "
            "(us, ms, s, min, h), got \"11s\"");
  EXPECT_EQ(load_error("fault_injection:\n  tx: {rate: 10Mbps}\n"),
            "test.yaml:2:14: fault_injection.tx.rate: expected a bit rate 0..100Gbit as an "
            "integer with a unit bit, kbit, Mbit or Gbit, got \"10Mbps\"");
  EXPECT_EQ(load_error("fault_injection:\n  rx: {queue_limit: 0}\n"),
            "test.yaml:2:21: fault_injection.rx.queue_limit: expected an integer 1..1000000, got "
            "\"0\"");
  EXPECT_EQ(load_error("fault_injection:\n  seed: -1\n"),
            "test.yaml:2:9: fault_injection.seed: expected an integer 0..18446744073709551615, "
            "got \"-1\"");
}

TEST(FieldParsers, Percentages) {
  EXPECT_EQ(parse_percentage("0"), 0.0);
  EXPECT_EQ(parse_percentage("100"), 1.0);
  EXPECT_EQ(parse_percentage("100.000"), 1.0);
  EXPECT_DOUBLE_EQ(*parse_percentage("0.5"), 0.005);
  EXPECT_DOUBLE_EQ(*parse_percentage("12.345"), 0.12345);
  for (const char* bad : {"", ".5", "5.", "100.001", "1.2345", "-1", "5%", "1e2", "0x10"}) {
    EXPECT_FALSE(parse_percentage(bad)) << bad;
  }
}

TEST(FieldParsers, BitRates) {
  const limits::Range<std::uint64_t> range{0, 100'000'000'000};
  EXPECT_EQ(parse_bit_rate_in("0", range), 0u);
  EXPECT_EQ(parse_bit_rate_in("1500bit", range), 1500u);
  EXPECT_EQ(parse_bit_rate_in("10kbit", range), 10'000u);
  EXPECT_EQ(parse_bit_rate_in("1Gbit", range), 1'000'000'000u);
  EXPECT_EQ(parse_bit_rate_in("100Gbit", range), 100'000'000'000u);
  for (const char* bad : {"", "5", "101Gbit", "1gbit", "1 Mbit", "Mbit", "99999999999999Gbit"}) {
    EXPECT_FALSE(parse_bit_rate_in(bad, range)) << bad;
  }
}

TEST(FieldParsers, BooleansPortsAndRanges) {
  EXPECT_EQ(parse_bool("true"), true);
  EXPECT_EQ(parse_bool("false"), false);
  EXPECT_FALSE(parse_bool("True"));
  EXPECT_EQ(parse_port("65535"), 65535);
  EXPECT_FALSE(parse_port("65536"));
  EXPECT_EQ(parse_port_range("1024-65535"), (std::pair<std::uint16_t, std::uint16_t>{1024, 65535}));
  EXPECT_EQ(parse_port_range("5000-5000"), (std::pair<std::uint16_t, std::uint16_t>{5000, 5000}));
  for (const char* bad : {"1023-2000", "2000-", "-2000", "2000-70000", "a-b", "2000--3000"}) {
    EXPECT_FALSE(parse_port_range(bad)) << bad;
  }
  EXPECT_EQ(parse_congestion("newreno"), CongestionAlgorithm::newreno);
  EXPECT_FALSE(parse_congestion("reno"));
}

}  // namespace
}  // namespace tapstack::config
