#include "stack/base/address.hpp"

#include <gtest/gtest.h>

namespace tapstack {
namespace {

TEST(Ipv4Addr, ParsesDottedQuad) {
  EXPECT_EQ(Ipv4Addr::parse("10.0.0.2"), Ipv4Addr(10, 0, 0, 2));
  EXPECT_EQ(Ipv4Addr::parse("255.255.255.255"), Ipv4Addr::broadcast());
  EXPECT_EQ(Ipv4Addr(192, 168, 1, 20).to_string(), "192.168.1.20");
}

TEST(Ipv4Addr, RejectsMalformed) {
  for (const char* bad : {"", "10.0.0", "10.0.0.2.1", "10.0.0.256", "10..0.1", "a.b.c.d",
                          "10.0.0.2 ", "1000.0.0.1", "10.0.0."}) {
    EXPECT_FALSE(Ipv4Addr::parse(bad).has_value()) << bad;
  }
}

TEST(Ipv4Cidr, ParsesAndDerivesNetwork) {
  const auto cidr = Ipv4Cidr::parse("10.0.0.2/24");
  ASSERT_TRUE(cidr);
  EXPECT_EQ(cidr->network(), Ipv4Addr(10, 0, 0, 0));
  EXPECT_EQ(cidr->broadcast(), Ipv4Addr(10, 0, 0, 255));
  EXPECT_TRUE(cidr->contains(Ipv4Addr(10, 0, 0, 77)));
  EXPECT_FALSE(cidr->contains(Ipv4Addr(10, 0, 1, 1)));
  EXPECT_EQ(Ipv4Cidr::parse("0.0.0.0/0")->mask(), 0u);
  EXPECT_EQ(Ipv4Cidr::parse("10.0.0.9")->prefix_len(), 32);
  EXPECT_FALSE(Ipv4Cidr::parse("10.0.0.2/33"));
  EXPECT_FALSE(Ipv4Cidr::parse("10.0.0.2/"));
}

TEST(MacAddr, ParsesAndFormats) {
  const auto mac = MacAddr::parse("02:AB:cd:00:00:01");
  ASSERT_TRUE(mac);
  EXPECT_EQ(mac->to_string(), "02:ab:cd:00:00:01");
  EXPECT_FALSE(mac->is_multicast());
  EXPECT_TRUE(MacAddr::broadcast().is_multicast());
  EXPECT_FALSE(MacAddr::parse("02:ab:cd:00:00"));
  EXPECT_FALSE(MacAddr::parse("02:ab:cd:00:00:01:"));
  EXPECT_FALSE(MacAddr::parse("02-ab-cd-00-00-01"));
}

}  // namespace
}  // namespace tapstack
