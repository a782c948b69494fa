// The nftables rules of host_nat: every subnet of the stack masqueraded as it leaves by the
// uplink, or by anything but the TAP devices.
#include "daemon/host_nat.hpp"

#include <gtest/gtest.h>

namespace tapstack::daemon {
namespace {

config::Config two_interfaces() {
  config::Config config;
  config::InterfaceConfig tap0;
  tap0.tap_name = "tap0";
  tap0.addresses = {*Ipv4Cidr::parse("10.0.0.2/24"), *Ipv4Cidr::parse("10.0.0.3/24")};
  config::InterfaceConfig tap1;
  tap1.tap_name = "tap1";
  tap1.addresses = {*Ipv4Cidr::parse("10.1.0.2/24")};
  config.interfaces = {tap0, tap1};
  return config;
}

TEST(HostNat, MasqueradesEverySubnetLeavingByAnythingButTheTaps) {
  EXPECT_EQ(HostNat::ruleset(two_interfaces()),
            "table ip tapstack_nat {\n"
            "  chain postrouting {\n"
            "    type nat hook postrouting priority srcnat; policy accept;\n"
            "    ip saddr { 10.0.0.0/24, 10.1.0.0/24 } oifname != { \"tap0\", \"tap1\" } "
            "masquerade\n"
            "  }\n"
            "}\n");
}

TEST(HostNat, AnUplinkNarrowsTheRule) {
  config::Config config = two_interfaces();
  config.host_nat.uplink = "eth0";
  EXPECT_NE(HostNat::ruleset(config).find("} oifname \"eth0\" masquerade"), std::string::npos);
}

}  // namespace
}  // namespace tapstack::daemon
