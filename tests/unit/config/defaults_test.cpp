// The embedded defaults (config/defaults.yaml): they parse, they have the documented values, they
// agree with the C++ member defaults, and every key carries a comment.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <sstream>

#include "config/embedded_defaults.hpp"
#include "config/loader.hpp"

namespace tapstack::config {
namespace {

using namespace std::chrono_literals;

TEST(DefaultConfig, HasTheDocumentedInterface) {
  const Config config = default_config();
  ASSERT_EQ(config.interfaces.size(), 1u);
  const InterfaceConfig& tap0 = config.interfaces[0];
  EXPECT_EQ(tap0.tap_name, "tap0");
  EXPECT_EQ(tap0.mac, std::nullopt);
  EXPECT_EQ(tap0.mtu, 1500);
  EXPECT_EQ(tap0.addresses, std::vector{Ipv4Cidr(Ipv4Addr(10, 0, 0, 2), 24)});
  EXPECT_EQ(tap0.host_address, Ipv4Cidr(Ipv4Addr(10, 0, 0, 1), 24));
  EXPECT_EQ(config.gateway, Ipv4Addr(10, 0, 0, 1));
}

TEST(DefaultConfig, HasTheDocumentedSectionValues) {
  const Config config = default_config();
  EXPECT_EQ(config.arp.reachable_time, 30s);
  EXPECT_EQ(config.arp.retransmit_interval, 1s);
  EXPECT_EQ(config.arp.max_requests, 3u);
  EXPECT_EQ(config.arp.max_entries, 1024u);
  EXPECT_EQ(config.arp.max_pending_packets, 16u);
  EXPECT_EQ(config.ipv4.default_ttl, 64);
  EXPECT_EQ(config.ipv4.reassembly_timeout, 30s);
  EXPECT_EQ(config.ipv4.reassembly_memory, 4u << 20);
  EXPECT_EQ(config.tap.rx_buffers, 256u);
  EXPECT_EQ(config.tap.tx_buffers, 1024u);
  EXPECT_EQ(config.ipc.socket_path, "/run/tapstack/tapstack.sock");
  EXPECT_EQ(config.ipc.group, "");
  EXPECT_FALSE(config.metrics.enabled());
  EXPECT_EQ(config.log_level, LogLevel::info);
}

// The YAML and the C++ member initialisers document the same defaults; neither may drift.
TEST(DefaultConfig, AgreesWithTheStructMemberDefaults) {
  const Config config = default_config();
  EXPECT_EQ(config.arp, ArpConfig{});
  EXPECT_EQ(config.ipv4, Ipv4Config{});
  EXPECT_EQ(config.tap, TapConfig{});
  EXPECT_EQ(config.ipc, IpcConfig{});
  EXPECT_EQ(config.metrics, MetricsConfig{});
  EXPECT_EQ(config.tcp, TcpConfig{});
  EXPECT_EQ(config.services, ServicesConfig{});
  EXPECT_EQ(config.fault_injection, FaultInjectionConfig{});
  EXPECT_EQ(config.log_level, Config{}.log_level);
  InterfaceConfig expected;
  expected.addresses = config.interfaces[0].addresses;
  expected.host_address = config.interfaces[0].host_address;
  EXPECT_EQ(config.interfaces[0], expected);
}

TEST(DefaultConfig, AnEmptyDocumentChangesNothing) {
  EXPECT_EQ(load_config_text("", "empty.yaml"), default_config());
  EXPECT_EQ(load_config_text("# only a comment\n", "comment.yaml"), default_config());
  EXPECT_EQ(load_config_text("arp:\nipv4: {}\n", "empty-sections.yaml"), default_config());
}

TEST(EmbeddedDefaults, SetsEveryKeyExplicitly) {
  const YAML::Node root = YAML::Load(std::string(embedded_defaults_yaml()));
  const std::map<std::string, std::vector<std::string>> sections{
      {"arp",
       {"reachable_time", "retransmit_interval", "max_requests", "max_entries",
        "max_pending_packets"}},
      {"ipv4", {"default_ttl", "reassembly_timeout", "reassembly_memory"}},
      {"tap", {"rx_buffers", "tx_buffers", "offloads", "busy_poll"}},
      {"ipc", {"socket", "group", "max_buffer_per_client"}},
      {"metrics", {"listen"}},
      {"log", {"level"}},
      {"tcp",
       {"rto_min",
        "rto_max",
        "rto_initial",
        "retries",
        "syn_retries",
        "synack_retries",
        "delayed_ack",
        "time_wait",
        "fin_timeout",
        "keepalive_idle",
        "keepalive_interval",
        "keepalive_count",
        "send_buffer",
        "send_buffer_max",
        "receive_buffer",
        "receive_buffer_max",
        "congestion",
        "timestamps",
        "sack",
        "window_scaling",
        "syn_backlog",
        "syn_cookies",
        "ephemeral_ports",
        "max_connections"}},
      {"services", {"echo", "discard", "chargen", "http"}},
      {"fault_injection", {"seed", "rx", "tx"}},
  };
  for (const auto& [section, keys] : sections) {
    for (const auto& key : keys) EXPECT_TRUE(root[section][key]) << section << '.' << key;
  }
  for (const char* service : {"echo", "discard", "chargen", "http"}) {
    for (const char* key : {"enabled", "port"}) {
      EXPECT_TRUE(root["services"][service][key]) << service << '.' << key;
    }
  }
  for (const char* direction : {"rx", "tx"}) {
    for (const char* key : {"drop", "duplicate", "corrupt", "reorder", "delay", "jitter",
                            "reorder_delay", "rate", "queue_limit"}) {
      EXPECT_TRUE(root["fault_injection"][direction][key]) << direction << '.' << key;
    }
  }
  EXPECT_TRUE(root["gateway"]);
  for (const char* key : {"tap", "mac", "mtu", "addresses", "host_address"}) {
    EXPECT_TRUE(root["interfaces"][0][key]) << key;
  }
}

// Every "key:" line of the example is directly preceded by a comment explaining it.
TEST(EmbeddedDefaults, EveryKeyHasACommentAbove) {
  std::istringstream text{std::string(embedded_defaults_yaml())};
  std::string line;
  std::string previous;
  int keys = 0;
  while (std::getline(text, line)) {
    const auto first = line.find_first_not_of(" -");
    const bool is_key =
        first != std::string::npos && line[first] != '#' && line.find(':') != std::string::npos;
    if (is_key) {
      ++keys;
      const auto previous_first = previous.find_first_not_of(' ');
      EXPECT_TRUE(previous_first != std::string::npos && previous[previous_first] == '#')
          << "no comment above: " << line;
    }
    previous = line;
  }
  // interfaces, gateway, routes, arp, ipv4, tap, ipc, metrics, log; tcp; services (4 x 2 keys);
  // fault_injection (seed, rx and tx with 9 keys each).
  // host_nat (2 keys).
  EXPECT_EQ(keys, 10 + 5 + 5 + 5 + 2 + 7 + 1 + 2 + 1 + (1 + 24) + (1 + 4 * 3) + (1 + 1 + 2 * 10));
}

}  // namespace
}  // namespace tapstack::config
