#include "stack/ipv4/route_table.hpp"

#include <gtest/gtest.h>

namespace tapstack {
namespace {

Ipv4Cidr cidr(const char* text) {
  return *Ipv4Cidr::parse(text);
}
Ipv4Addr addr(const char* text) {
  return *Ipv4Addr::parse(text);
}

Route on_link(const char* prefix, InterfaceId interface = 0) {
  return Route{.prefix = cidr(prefix),
               .gateway = std::nullopt,
               .interface = interface,
               .preferred_source = addr("10.0.0.2")};
}

Route via(const char* prefix, const char* gateway, InterfaceId interface = 0) {
  return Route{.prefix = cidr(prefix),
               .gateway = addr(gateway),
               .interface = interface,
               .preferred_source = addr("10.0.0.2")};
}

TEST(RouteTable, OnLinkSubnetAndDefaultRoute) {
  RouteTable table;
  ASSERT_TRUE(table.add(via("0.0.0.0/0", "10.0.0.1")));
  ASSERT_TRUE(table.add(on_link("10.0.0.2/24")));

  // RFC 1122 §3.3.1: on-link destinations are the next hop themselves.
  const auto local = table.lookup(addr("10.0.0.77"));
  ASSERT_TRUE(local);
  EXPECT_EQ(local->route->prefix, cidr("10.0.0.0/24"));
  EXPECT_EQ(local->next_hop, addr("10.0.0.77"));

  // Everything else goes to the gateway.
  const auto remote = table.lookup(addr("192.0.2.9"));
  ASSERT_TRUE(remote);
  EXPECT_EQ(remote->route->prefix, cidr("0.0.0.0/0"));
  EXPECT_EQ(remote->next_hop, addr("10.0.0.1"));
  EXPECT_EQ(remote->route->preferred_source, addr("10.0.0.2"));
}

TEST(RouteTable, LongestPrefixWinsWhateverTheInsertionOrder) {
  RouteTable table;
  ASSERT_TRUE(table.add(via("10.1.0.0/16", "192.168.0.16", 16)));
  ASSERT_TRUE(table.add(via("10.1.2.3/32", "192.168.0.32", 32)));
  ASSERT_TRUE(table.add(via("10.0.0.0/8", "192.168.0.8", 8)));
  ASSERT_TRUE(table.add(via("10.1.2.0/24", "192.168.0.24", 24)));

  struct Case {
    const char* destination;
    InterfaceId interface;
    const char* next_hop;
  };
  const Case cases[] = {{"10.1.2.3", 32, "192.168.0.32"},
                        {"10.1.2.4", 24, "192.168.0.24"},
                        {"10.1.3.1", 16, "192.168.0.16"},
                        {"10.2.0.1", 8, "192.168.0.8"},
                        {"10.255.255.255", 8, "192.168.0.8"}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.destination);
    const auto found = table.lookup(addr(c.destination));
    ASSERT_TRUE(found);
    EXPECT_EQ(found->route->interface, c.interface);
    EXPECT_EQ(found->next_hop, addr(c.next_hop));
  }
  EXPECT_FALSE(table.lookup(addr("11.0.0.1")));

  // routes() lists longest prefixes first.
  const auto routes = table.routes();
  ASSERT_EQ(routes.size(), 4u);
  EXPECT_EQ(routes[0].prefix.prefix_len(), 32);
  EXPECT_EQ(routes[1].prefix.prefix_len(), 24);
  EXPECT_EQ(routes[2].prefix.prefix_len(), 16);
  EXPECT_EQ(routes[3].prefix.prefix_len(), 8);
}

TEST(RouteTable, DefaultRouteOnlyMatchesEverything) {
  RouteTable table;
  ASSERT_TRUE(table.add(via("0.0.0.0/0", "10.0.0.1", 3)));
  for (const char* destination : {"0.0.0.0", "10.0.0.1", "203.0.113.5", "255.255.255.255"}) {
    SCOPED_TRACE(destination);
    const auto found = table.lookup(addr(destination));
    ASSERT_TRUE(found);
    EXPECT_EQ(found->route->interface, 3u);
    EXPECT_EQ(found->next_hop, addr("10.0.0.1"));
  }
}

TEST(RouteTable, PrefixesAreNormalisedAndNotDuplicated) {
  RouteTable table;
  ASSERT_TRUE(table.add(on_link("10.0.0.2/24")));
  EXPECT_EQ(table.routes()[0].prefix, cidr("10.0.0.0/24"));
  // The same network written differently, or with another gateway, is the same prefix.
  EXPECT_FALSE(table.add(on_link("10.0.0.0/24")));
  EXPECT_FALSE(table.add(via("10.0.0.99/24", "10.0.0.1")));
  // Same address, different length: a different prefix.
  EXPECT_TRUE(table.add(on_link("10.0.0.0/25")));
  EXPECT_EQ(table.routes().size(), 2u);
}

TEST(RouteTable, RemovedRoutesNoLongerMatch) {
  RouteTable table;
  ASSERT_TRUE(table.add(via("0.0.0.0/0", "10.0.0.1")));
  ASSERT_TRUE(table.add(on_link("10.0.0.0/24")));
  EXPECT_EQ(table.lookup(addr("10.0.0.5"))->next_hop, addr("10.0.0.5"));

  EXPECT_TRUE(table.remove(cidr("10.0.0.200/24")));  // normalised like add()
  EXPECT_FALSE(table.remove(cidr("10.0.0.0/24")));
  EXPECT_EQ(table.lookup(addr("10.0.0.5"))->next_hop, addr("10.0.0.1"));

  EXPECT_TRUE(table.remove(cidr("0.0.0.0/0")));
  EXPECT_FALSE(table.lookup(addr("10.0.0.5")));
  EXPECT_TRUE(table.routes().empty());
  EXPECT_TRUE(table.add(on_link("10.0.0.0/24")));  // can be added again
}

TEST(RouteTable, FindsExactPrefixesOnlyAndChangesTheirSource) {
  RouteTable table;
  ASSERT_TRUE(table.add(via("0.0.0.0/0", "10.0.0.1")));
  ASSERT_TRUE(table.add(on_link("10.0.0.0/24")));
  ASSERT_NE(table.find(cidr("10.0.0.99/24")), nullptr);  // normalised like add()
  EXPECT_EQ(table.find(cidr("10.0.0.0/24"))->gateway, std::nullopt);
  EXPECT_EQ(table.find(cidr("10.0.0.0/25")), nullptr);  // no lookup: the length must match
  EXPECT_EQ(table.find(cidr("10.0.0.5/32")), nullptr);

  EXPECT_TRUE(table.set_preferred_source(cidr("0.0.0.0/0"), addr("10.0.0.7")));
  EXPECT_EQ(table.lookup(addr("192.0.2.1"))->route->preferred_source, addr("10.0.0.7"));
  EXPECT_EQ(table.lookup(addr("10.0.0.9"))->route->preferred_source, addr("10.0.0.2"));
  EXPECT_FALSE(table.set_preferred_source(cidr("10.1.0.0/16"), addr("10.0.0.7")));
  EXPECT_EQ(table.routes().size(), 2u);
}

TEST(RouteTable, EmptyTableHasNoRoute) {
  const RouteTable table;
  EXPECT_FALSE(table.lookup(addr("10.0.0.1")));
  EXPECT_TRUE(table.routes().empty());
}

TEST(RouteTable, CapacityBoundsTheTable) {
  RouteTable table(2);
  EXPECT_TRUE(table.add(on_link("10.0.0.0/24")));
  EXPECT_TRUE(table.add(on_link("10.0.1.0/24")));
  EXPECT_FALSE(table.add(on_link("10.0.2.0/24")));
  EXPECT_TRUE(table.remove(cidr("10.0.0.0/24")));
  EXPECT_TRUE(table.add(on_link("10.0.2.0/24")));
  EXPECT_EQ(table.lookup(addr("10.0.2.9"))->route->prefix, cidr("10.0.2.0/24"));
}

}  // namespace
}  // namespace tapstack
