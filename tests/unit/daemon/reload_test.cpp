// SIGHUP reloads (daemon/reload.hpp): the live parts change (log level, services, TCP
// defaults), the rest is reported as needing a restart and keeps its running value.
#include "daemon/reload.hpp"

#include <gtest/gtest.h>

#include "daemon/settings.hpp"
#include "two_stacks.hpp"

namespace tapstack::daemon {
namespace {

using services::ServiceKind;

bool listening_on(const services::Services& services, ServiceKind kind, std::uint16_t port) {
  for (const auto& listening : services.listening()) {
    if (listening.kind == kind && listening.port == port) return true;
  }
  return false;
}

ReloadTargets targets(services::testing::TwoStacks& stacks, Logger& log) {
  static std::vector<InterfaceId> ids;
  ids = {stacks.server().interfaces().at(0).id};
  return ReloadTargets{log, stacks.services(), stacks.server(), ids, stacks.now()};
}

const Ipv4Cidr kServerCidr{services::testing::kServerAddr, 24};

TEST(Reload, AddsAndRemovesAddressesOfARunningInterface) {
  services::testing::TwoStacks stacks;
  Logger log{config::LogLevel::warn};
  config::Config running;
  running.interfaces.push_back(config::InterfaceConfig{});
  running.interfaces[0].addresses = {kServerCidr};
  config::Config next = running;
  const Ipv4Cidr extra{Ipv4Addr{10, 0, 0, 50}, 24};
  next.interfaces[0].addresses = {kServerCidr, extra};
  apply_reload(running, next, targets(stacks, log));
  EXPECT_EQ(stacks.server().interfaces().at(0).addresses, next.interfaces[0].addresses);
  EXPECT_EQ(running.interfaces, next.interfaces);

  config::Config fewer = running;
  fewer.interfaces[0].addresses = {extra};
  apply_reload(running, fewer, targets(stacks, log));
  EXPECT_EQ(stacks.server().interfaces().at(0).addresses, std::vector<Ipv4Cidr>{extra});
  EXPECT_EQ(running.interfaces, fewer.interfaces);
}

TEST(Reload, AppliesLivePartsAndKeepsTheRest) {
  services::testing::TwoStacks stacks;
  Logger log{config::LogLevel::info};
  config::Config running;
  running.interfaces.push_back(config::InterfaceConfig{});
  config::Config next = running;
  next.log_level = config::LogLevel::debug;
  next.services.echo.enabled = false;
  next.services.http.port = 8080;
  next.tcp.rto_min = std::chrono::milliseconds(50);
  next.tcp.ephemeral_first = 40000;                  // restart only
  next.tap.rx_buffers = running.tap.rx_buffers + 1;  // restart only

  ::testing::internal::CaptureStderr();
  apply_reload(running, next, targets(stacks, log));
  const std::string logged = ::testing::internal::GetCapturedStderr();

  EXPECT_EQ(log.threshold(), config::LogLevel::debug);
  EXPECT_FALSE(listening_on(stacks.services(), ServiceKind::echo, 7));
  EXPECT_FALSE(listening_on(stacks.services(), ServiceKind::http, 80));
  EXPECT_TRUE(listening_on(stacks.services(), ServiceKind::http, 8080));
  EXPECT_TRUE(listening_on(stacks.services(), ServiceKind::discard, 9));
  EXPECT_EQ(stacks.server().tcp().settings().rto.min, std::chrono::milliseconds(50));
  EXPECT_EQ(stacks.server().tcp().settings().ephemeral_first, 32768);
  EXPECT_NE(logged.find("warn: reload: tap changed: needs a restart"), std::string::npos) << logged;
  EXPECT_NE(logged.find("warn: reload: tcp.ephemeral_ports changed: needs a restart"),
            std::string::npos);
  // What is in effect now: the live parts of `next`, the running values of the rest.
  EXPECT_EQ(running.services, next.services);
  EXPECT_EQ(running.log_level, next.log_level);
  EXPECT_EQ(running.tcp.rto_min, next.tcp.rto_min);
  EXPECT_EQ(running.tcp.ephemeral_first, 32768);
  EXPECT_NE(running.tap, next.tap);
}

TEST(Reload, NothingChangedLogsNothing) {
  services::testing::TwoStacks stacks;
  Logger log{config::LogLevel::info};
  config::Config running;
  const config::Config next = running;
  ::testing::internal::CaptureStderr();
  apply_reload(running, next, targets(stacks, log));
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
  EXPECT_EQ(stacks.services().listening().size(), 4u);
}

}  // namespace
}  // namespace tapstack::daemon
