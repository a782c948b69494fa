// hosts(5) lookups as glibc's files backend makes them for AF_INET (shim/dns/hosts_file.hpp).
#include "shim/dns/hosts_file.hpp"

#include <gtest/gtest.h>

namespace tapstack::dns {
namespace {

using Addresses = std::vector<Ipv4Address>;
using Names = std::vector<std::string>;

constexpr std::string_view kHosts =
    "# The following lines are desirable for IPv4 capable hosts\n"
    "127.0.0.1\tlocalhost\n"
    "::1 localhost ip6-localhost ip6-loopback\n"
    "fe00::0 ip6-localnet\n"
    "192.0.2.10   Web.Example.test web   # the web server\n"
    "192.0.2.11 web.example.test mirror\n"
    "::ffff:192.0.2.12 mapped.test\n"
    "#192.0.2.99 commented.test\n"
    "192.0.2.300 invalid.test\n"
    "192.0.2.13\n"
    "192.0.2.14 dotted.test.\n";

TEST(HostsFile, FindsACanonicalNameOrAliasCaseInsensitively) {
  for (const char* name : {"web.example.test", "WEB.EXAMPLE.TEST", "web"}) {
    const auto match = find_in_hosts(kHosts, name);
    ASSERT_TRUE(match) << name;
    EXPECT_EQ(match->canonical_name, "Web.Example.test") << name;
  }
}

TEST(HostsFile, CollectsEveryMatchingLineInFileOrder) {
  const auto match = find_in_hosts(kHosts, "web.example.test");
  ASSERT_TRUE(match);
  EXPECT_EQ(match->addresses, (Addresses{{192, 0, 2, 10}, {192, 0, 2, 11}}));
  EXPECT_EQ(match->aliases, (Names{"web", "mirror"}));
  // Only the lines that list the name: "mirror" is on the second line only.
  const auto mirror = find_in_hosts(kHosts, "mirror");
  ASSERT_TRUE(mirror);
  EXPECT_EQ(mirror->addresses, (Addresses{{192, 0, 2, 11}}));
  EXPECT_EQ(mirror->canonical_name, "web.example.test");
}

TEST(HostsFile, IpV6LoopbackAndMappedLinesCountAsIpv4AsInGlibc) {
  const auto localhost = find_in_hosts(kHosts, "localhost");
  ASSERT_TRUE(localhost);
  EXPECT_EQ(localhost->addresses, (Addresses{{127, 0, 0, 1}, {127, 0, 0, 1}}));
  const auto loopback = find_in_hosts(kHosts, "ip6-loopback");
  ASSERT_TRUE(loopback);
  EXPECT_EQ(loopback->canonical_name, "localhost");
  const auto mapped = find_in_hosts(kHosts, "mapped.test");
  ASSERT_TRUE(mapped);
  EXPECT_EQ(mapped->addresses, (Addresses{{192, 0, 2, 12}}));
  EXPECT_FALSE(find_in_hosts(kHosts, "ip6-localnet"));
}

TEST(HostsFile, CommentsInvalidAddressesAndPartialNamesDoNotMatch) {
  EXPECT_FALSE(find_in_hosts(kHosts, "commented.test"));
  EXPECT_FALSE(find_in_hosts(kHosts, "invalid.test"));
  EXPECT_FALSE(find_in_hosts(kHosts, "server"));  // only inside the comment
  EXPECT_FALSE(find_in_hosts(kHosts, "example.test"));
  EXPECT_FALSE(find_in_hosts(kHosts, "192.0.2.13"));
  EXPECT_FALSE(find_in_hosts(kHosts, ""));
}

TEST(HostsFile, ATrailingDotIsPartOfTheName) {
  EXPECT_FALSE(find_in_hosts(kHosts, "dotted.test"));
  EXPECT_TRUE(find_in_hosts(kHosts, "dotted.test."));
  EXPECT_FALSE(find_in_hosts(kHosts, "web.example.test."));
}

TEST(HostsFile, AFileWithoutFinalNewlineOrWithCrlfLines) {
  EXPECT_TRUE(find_in_hosts("10.0.0.1 last", "last"));
  const auto crlf = find_in_hosts("10.0.0.1 dos.test\r\n", "dos.test");
  ASSERT_TRUE(crlf);
  EXPECT_EQ(crlf->canonical_name, "dos.test");
}

}  // namespace
}  // namespace tapstack::dns
