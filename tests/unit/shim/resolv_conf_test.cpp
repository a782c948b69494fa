// resolv.conf reading and the search-list order (shim/dns/resolv_conf.hpp), against glibc's
// behaviour described in resolv.conf(5).
#include "shim/dns/resolv_conf.hpp"

#include <gtest/gtest.h>

namespace tapstack::dns {
namespace {

using Names = std::vector<std::string>;

TEST(ResolvConf, DefaultsAreGlibcs) {
  const ResolverConfig config = parse_resolv_conf("");
  EXPECT_EQ(config.nameservers, (std::vector<Ipv4Address>{{127, 0, 0, 1}}));
  EXPECT_TRUE(config.search.empty());
  EXPECT_EQ(config.ndots, 1);
  EXPECT_EQ(config.timeout_seconds, 5);
  EXPECT_EQ(config.attempts, 2);
}

TEST(ResolvConf, ReadsServersSearchAndOptions) {
  const ResolverConfig config = parse_resolv_conf(
      "# written by hand\n"
      "; another comment\n"
      "nameserver 192.0.2.1\n"
      "nameserver\t198.51.100.7  # trailing comment\n"
      "search corp.test. lab.test\n"
      "options ndots:2 timeout:3 attempts:4 rotate\n");
  EXPECT_EQ(config.nameservers, (std::vector<Ipv4Address>{{192, 0, 2, 1}, {198, 51, 100, 7}}));
  EXPECT_EQ(config.search, (Names{"corp.test", "lab.test"}));
  EXPECT_EQ(config.ndots, 2);
  EXPECT_EQ(config.timeout_seconds, 3);
  EXPECT_EQ(config.attempts, 4);
}

TEST(ResolvConf, KeepsAtMostThreeIpv4Servers) {
  const ResolverConfig config = parse_resolv_conf(
      "nameserver 2001:db8::1\nnameserver 10.0.0.1\nnameserver bogus\nnameserver 10.0.0.2\n"
      "nameserver 10.0.0.3\nnameserver 10.0.0.4\n");
  EXPECT_EQ(config.nameservers,
            (std::vector<Ipv4Address>{{10, 0, 0, 1}, {10, 0, 0, 2}, {10, 0, 0, 3}}));
}

TEST(ResolvConf, OnlyIpv6ServersMeansTheLocalDefault) {
  EXPECT_EQ(parse_resolv_conf("nameserver ::1\n").nameservers,
            (std::vector<Ipv4Address>{{127, 0, 0, 1}}));
}

TEST(ResolvConf, TheLastSearchOrDomainLineWins) {
  EXPECT_EQ(parse_resolv_conf("search a.test b.test\ndomain c.test d.test\n").search,
            (Names{"c.test"}));
  EXPECT_EQ(parse_resolv_conf("domain c.test\nsearch a.test b.test\n").search,
            (Names{"a.test", "b.test"}));
}

TEST(ResolvConf, WithoutSearchTheHostnamesDomainIsSearched) {
  EXPECT_EQ(parse_resolv_conf("", "box.site.test").search, (Names{"site.test"}));
  EXPECT_TRUE(parse_resolv_conf("", "box").search.empty());
  EXPECT_EQ(parse_resolv_conf("search a.test\n", "box.site.test").search, (Names{"a.test"}));
}

TEST(ResolvConf, OptionsAreCappedAsGlibcDoesAndBadValuesIgnored) {
  const ResolverConfig capped = parse_resolv_conf("options ndots:99 timeout:100 attempts:9\n");
  EXPECT_EQ(capped.ndots, 15);
  EXPECT_EQ(capped.timeout_seconds, 30);
  EXPECT_EQ(capped.attempts, 5);
  const ResolverConfig huge = parse_resolv_conf("options timeout:99999999999999999999\n");
  EXPECT_EQ(huge.timeout_seconds, 30);
  const ResolverConfig bad = parse_resolv_conf("options ndots:x timeout: attempts:-1 ndots\n");
  EXPECT_EQ(bad.ndots, 1);
  EXPECT_EQ(bad.timeout_seconds, 5);
  EXPECT_EQ(bad.attempts, 2);
  const ResolverConfig zero = parse_resolv_conf("options ndots:0 timeout:0 attempts:0\n");
  EXPECT_EQ(zero.ndots, 0);
  EXPECT_EQ(zero.timeout_seconds, 1);
  EXPECT_EQ(zero.attempts, 1);
}

TEST(SearchCandidates, FewerDotsThanNdotsTriesTheSearchListFirst) {
  ResolverConfig config;
  config.search = {"a.test", "b.test"};
  EXPECT_EQ(search_candidates("host", config), (Names{"host.a.test", "host.b.test", "host"}));
  config.ndots = 2;
  EXPECT_EQ(search_candidates("host.sub", config),
            (Names{"host.sub.a.test", "host.sub.b.test", "host.sub"}));
}

TEST(SearchCandidates, EnoughDotsTriesTheNameAsIsFirst) {
  ResolverConfig config;
  config.search = {"a.test"};
  EXPECT_EQ(search_candidates("host.sub", config), (Names{"host.sub", "host.sub.a.test"}));
  config.ndots = 0;
  EXPECT_EQ(search_candidates("host", config), (Names{"host", "host.a.test"}));
}

TEST(SearchCandidates, AnAbsoluteNameIsOnlyTriedAsIs) {
  ResolverConfig config;
  config.search = {"a.test"};
  EXPECT_EQ(search_candidates("host.", config), (Names{"host."}));
}

TEST(SearchCandidates, WithoutASearchListOnlyTheName) {
  EXPECT_EQ(search_candidates("host", ResolverConfig{}), (Names{"host"}));
}

}  // namespace
}  // namespace tapstack::dns
