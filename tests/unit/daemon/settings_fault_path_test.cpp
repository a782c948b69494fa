// From configuration to components: the `tcp:` section onto TcpSettings, and the FaultPath the
// event loop puts on the TAP path when `fault_injection:` is on.
#include <gtest/gtest.h>

#include <vector>

#include "config/loader.hpp"
#include "daemon/fault_path.hpp"
#include "daemon/settings.hpp"

namespace tapstack::daemon {
namespace {

using namespace std::chrono_literals;

TEST(TcpSettingsFromConfig, TheDefaultsAreTheStacksDefaults) {
  const TcpSettings mapped = tcp_settings(config::default_config().tcp);
  const TcpSettings stack_default;
  EXPECT_EQ(mapped.rto.min, stack_default.rto.min);
  EXPECT_EQ(mapped.rto.max, stack_default.rto.max);
  EXPECT_EQ(mapped.rto.initial, stack_default.rto.initial);
  EXPECT_EQ(mapped.max_retransmissions, stack_default.max_retransmissions);
  EXPECT_EQ(mapped.syn_retries, stack_default.syn_retries);
  EXPECT_EQ(mapped.synack_retries, stack_default.synack_retries);
  EXPECT_EQ(mapped.delayed_ack, stack_default.delayed_ack);
  EXPECT_EQ(mapped.time_wait, stack_default.time_wait);
  EXPECT_EQ(mapped.keepalive_idle, stack_default.keepalive_idle);
  EXPECT_EQ(mapped.keepalive_interval, stack_default.keepalive_interval);
  EXPECT_EQ(mapped.keepalive_count, stack_default.keepalive_count);
  EXPECT_EQ(mapped.send_buffer, stack_default.send_buffer);
  EXPECT_EQ(mapped.receive_buffer, stack_default.receive_buffer);
  EXPECT_EQ(mapped.receive_buffer_max, stack_default.receive_buffer_max);
  EXPECT_EQ(mapped.send_buffer_max, stack_default.send_buffer_max);
  EXPECT_EQ(mapped.congestion, stack_default.congestion);
  EXPECT_EQ(mapped.timestamps, stack_default.timestamps);
  EXPECT_EQ(mapped.sack, stack_default.sack);
  EXPECT_EQ(mapped.window_scaling, stack_default.window_scaling);
  EXPECT_EQ(mapped.syn_backlog, stack_default.syn_backlog);
  EXPECT_EQ(mapped.syn_cookies, stack_default.syn_cookies);
  EXPECT_EQ(mapped.ephemeral_first, stack_default.ephemeral_first);
  EXPECT_EQ(mapped.ephemeral_last, stack_default.ephemeral_last);
  EXPECT_EQ(mapped.max_connections, stack_default.max_connections);
}

TEST(TcpSettingsFromConfig, EveryKeyReachesTheStack) {
  const config::Config config = config::load_config_text(
      "tcp: {rto_min: 10ms, rto_max: 30s, rto_initial: 500ms, retries: 5, syn_retries: 2,\n"
      "      synack_retries: 3, delayed_ack: 10ms, time_wait: 2s, keepalive_idle: 10min,\n"
      "      keepalive_interval: 5s, keepalive_count: 4, send_buffer: 64KiB,\n"
      "      send_buffer_max: 1MiB, receive_buffer: 32KiB, receive_buffer_max: 2MiB,\n"
      "      congestion: newreno, timestamps: false, sack: false, window_scaling: false,\n"
      "      syn_backlog: 16, syn_cookies: false, ephemeral_ports: 40000-40099,\n"
      "      max_connections: 500}\n",
      "test.yaml");
  const TcpSettings tcp = stack_settings(config, 1).tcp;
  EXPECT_EQ(tcp.rto.min, 10ms);
  EXPECT_EQ(tcp.rto.max, 30s);
  EXPECT_EQ(tcp.rto.initial, 500ms);
  EXPECT_EQ(tcp.max_retransmissions, 5u);
  EXPECT_EQ(tcp.syn_retries, 2u);
  EXPECT_EQ(tcp.synack_retries, 3u);
  EXPECT_EQ(tcp.delayed_ack, 10ms);
  EXPECT_EQ(tcp.time_wait, 2s);
  EXPECT_EQ(tcp.keepalive_idle, 10min);
  EXPECT_EQ(tcp.keepalive_interval, 5s);
  EXPECT_EQ(tcp.keepalive_count, 4u);
  EXPECT_EQ(tcp.send_buffer, 64u * 1024);
  EXPECT_EQ(tcp.send_buffer_max, 1024u * 1024);
  EXPECT_EQ(tcp.receive_buffer, 32u * 1024);
  EXPECT_EQ(tcp.receive_buffer_max, 2u * 1024 * 1024);
  EXPECT_EQ(tcp.congestion, CongestionAlgorithm::newreno);
  EXPECT_FALSE(tcp.timestamps);
  EXPECT_FALSE(tcp.sack);
  EXPECT_FALSE(tcp.window_scaling);
  EXPECT_EQ(tcp.syn_backlog, 16u);
  EXPECT_FALSE(tcp.syn_cookies);
  EXPECT_EQ(tcp.ephemeral_first, 40000);
  EXPECT_EQ(tcp.ephemeral_last, 40099);
  EXPECT_EQ(tcp.max_connections, 500u);
}

std::vector<std::byte> frame_of(std::size_t size, std::uint8_t fill) {
  return std::vector<std::byte>(size, static_cast<std::byte>(fill));
}

TEST(FaultPath, DelaysEachDirectionOfEachDevice) {
  config::FaultInjectionConfig config;
  config.rx.delay = 10ms;
  config.tx.delay = 3ms;
  FaultPath faults{config, 2, 1514, 4};
  EXPECT_EQ(faults.next_deadline(), kNever);
  const Instant start{1s};
  faults.rx(1).push(frame_of(60, 1), start);
  faults.tx(0).push(frame_of(60, 2), start);
  EXPECT_EQ(faults.next_deadline(), start + 3ms);
  int delivered = 0;
  faults.rx(1).deliver_due(start + 9ms, [&](wire::Bytes) { ++delivered; });
  EXPECT_EQ(delivered, 0);
  faults.rx(1).deliver_due(start + 10ms, [&](wire::Bytes) { ++delivered; });
  EXPECT_EQ(delivered, 1);
  EXPECT_EQ(faults.next_deadline(), start + 3ms);
}

TEST(FaultPath, CopiesDelayedFramesIntoABoundedPool) {
  FaultPath faults{config::FaultInjectionConfig{}, 1, 100, 2};
  const auto frame = frame_of(60, 7);
  auto first = faults.copy_for_device(frame);
  auto second = faults.copy_for_device(frame);
  ASSERT_TRUE(first && second);
  EXPECT_TRUE(std::ranges::equal(first->data(), frame));
  EXPECT_FALSE(faults.copy_for_device(frame));  // both buffers in flight
  EXPECT_EQ(faults.tx_pool_exhausted(), 1u);
  first.reset();  // a completed write returns its buffer
  EXPECT_TRUE(faults.copy_for_device(frame));
  EXPECT_FALSE(faults.copy_for_device(frame_of(101, 0)));  // larger than a device frame
}

TEST(FaultPath, DescribesTheSettingsForTheLog) {
  const config::Config config = config::load_config_text(
      "fault_injection: {seed: 9, rx: {drop: 0.5, delay: 10ms}, tx: {rate: 10Mbit}}\n",
      "test.yaml");
  EXPECT_EQ(FaultPath::describe(config.fault_injection),
            "rx: drop 0.5%, delay 10ms; tx: rate 10000000 bit/s, queue 10000 frames; seed 9");
}

}  // namespace
}  // namespace tapstack::daemon
