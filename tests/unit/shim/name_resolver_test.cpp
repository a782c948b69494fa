// The resolver's order of files, search candidates, servers and attempts, and its EAI_* results
// (shim/dns/name_resolver.hpp), over a scripted fake transport.
#include "shim/dns/name_resolver.hpp"

#include <gtest/gtest.h>
#include <netdb.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "unit/shim/dns_test_messages.hpp"

namespace tapstack::dns {
namespace {

using namespace std::chrono_literals;
using Addresses = std::vector<Ipv4Address>;
using Names = std::vector<std::string>;

constexpr Ipv4Address kServer1{192, 0, 2, 1};
constexpr Ipv4Address kServer2{192, 0, 2, 2};
constexpr Ipv4Address kServer3{192, 0, 2, 3};

// What a fake server does with a query.
enum class Reaction {
  answer,
  nxdomain,
  no_data,
  servfail,
  refused,
  truncated,
  garbage,
  silent,
  unreachable
};

struct Behaviour {
  Reaction reaction = Reaction::silent;
  Addresses addresses = {};
  bool forged_first = false;  // a response with another id arrives before the real one
};

struct Sent {
  Ipv4Address server;
  std::string name;
  std::uint16_t id;
  std::chrono::milliseconds timeout;
};

std::vector<std::uint8_t> reply_for(std::span<const std::uint8_t> query,
                                    const Behaviour& behaviour) {
  switch (behaviour.reaction) {
    case Reaction::answer:
      return test::response_to(query, 0, behaviour.addresses);
    case Reaction::nxdomain:
      return test::response_to(query, 3);
    case Reaction::servfail:
      return test::response_to(query, 2);
    case Reaction::refused:
      return test::response_to(query, 5);
    case Reaction::truncated: {
      auto reply = test::response_to(query, 0);
      reply[2] |= 0x02;  // TC
      return reply;
    }
    case Reaction::garbage: {  // the question echoed, the answer cut short
      auto reply = test::response_to(query, 0, {{10, 0, 0, 1}});
      reply.resize(reply.size() - 2);
      return reply;
    }
    default:
      return test::response_to(query, 0);
  }
}

class FakeNetwork {
 public:
  std::function<Behaviour(Ipv4Address, const std::string&)> behave =
      [](Ipv4Address, const std::string&) { return Behaviour{}; };
  std::vector<Sent> sent;
  int forged_accepted = 0;

  Transport transport() {
    return [this](Ipv4Address server, std::span<const std::uint8_t> query,
                  std::chrono::milliseconds timeout, const AcceptReply& accept) {
      const std::string name = name_to_text(query.subspan(12, query.size() - 16));
      const auto id = static_cast<std::uint16_t>((query[0] << 8) | query[1]);
      sent.push_back({server, name, id, timeout});
      const Behaviour behaviour = behave(server, name);
      if (behaviour.reaction == Reaction::silent) return TransportStatus::timed_out;
      if (behaviour.reaction == Reaction::unreachable) return TransportStatus::failed;
      if (behaviour.forged_first) {
        auto forged = reply_for(query, behaviour);
        forged[1] = static_cast<std::uint8_t>(forged[1] + 1);
        if (accept(forged)) ++forged_accepted;
      }
      return accept(reply_for(query, behaviour)) ? TransportStatus::answered
                                                 : TransportStatus::timed_out;
    };
  }

  std::vector<Ipv4Address> servers_asked() const {
    std::vector<Ipv4Address> servers;
    for (const Sent& s : sent) servers.push_back(s.server);
    return servers;
  }
  Names names_asked() const {
    Names names;
    for (const Sent& s : sent) {
      if (names.empty() || names.back() != s.name) names.push_back(s.name);
    }
    return names;
  }
};

QueryIdSource counting_ids() {
  return [next = std::uint16_t{100}]() mutable { return next++; };
}

ResolverConfig three_servers(Names search = {}) {
  ResolverConfig config;
  config.nameservers = {kServer1, kServer2, kServer3};
  config.search = std::move(search);
  return config;
}

TEST(QueryDns, TheFirstServerThatAnswersIsUsed) {
  FakeNetwork network;
  network.behave = [](Ipv4Address, const std::string&) {
    return Behaviour{Reaction::answer, {{10, 1, 1, 1}, {10, 1, 1, 2}}};
  };
  const auto resolved =
      query_dns("www.example.test", three_servers(), network.transport(), counting_ids());
  ASSERT_TRUE(resolved);
  EXPECT_EQ(resolved->addresses, (Addresses{{10, 1, 1, 1}, {10, 1, 1, 2}}));
  EXPECT_EQ(resolved->canonical_name, "www.example.test");
  ASSERT_EQ(network.sent.size(), 1u);
  EXPECT_EQ(network.sent[0].server, kServer1);
  EXPECT_EQ(network.sent[0].timeout, 5000ms);
}

TEST(QueryDns, SilentServersAreSkippedInOrderForEveryAttempt) {
  FakeNetwork network;
  ResolverConfig config = three_servers();
  config.timeout_seconds = 2;
  config.attempts = 3;
  const auto resolved = query_dns("www.example.test", config, network.transport(), counting_ids());
  EXPECT_EQ(resolved.error(), EAI_AGAIN);
  EXPECT_EQ(network.servers_asked(),
            (std::vector<Ipv4Address>{kServer1, kServer2, kServer3, kServer1, kServer2, kServer3,
                                      kServer1, kServer2, kServer3}));
  for (const Sent& sent : network.sent) EXPECT_EQ(sent.timeout, 2000ms);
  // Each query has its own id from the source.
  for (std::size_t i = 0; i < network.sent.size(); ++i) EXPECT_EQ(network.sent[i].id, 100 + i);
}

TEST(QueryDns, ASilentOrUnreachableServerPassesToTheNext) {
  FakeNetwork network;
  network.behave = [](Ipv4Address server, const std::string&) {
    if (server == kServer1) return Behaviour{Reaction::silent};
    if (server == kServer2) return Behaviour{Reaction::unreachable};
    return Behaviour{Reaction::answer, {{10, 3, 3, 3}}};
  };
  const auto resolved =
      query_dns("www.example.test", three_servers(), network.transport(), counting_ids());
  ASSERT_TRUE(resolved);
  EXPECT_EQ(resolved->addresses, (Addresses{{10, 3, 3, 3}}));
  EXPECT_EQ(network.servers_asked(), (std::vector<Ipv4Address>{kServer1, kServer2, kServer3}));
}

TEST(QueryDns, ResponsesWithAnotherIdAreDroppedAndTheRealOneTaken) {
  FakeNetwork network;
  network.behave = [](Ipv4Address, const std::string&) {
    return Behaviour{Reaction::answer, {{10, 4, 4, 4}}, true};
  };
  const auto resolved =
      query_dns("www.example.test", three_servers(), network.transport(), counting_ids());
  ASSERT_TRUE(resolved);
  EXPECT_EQ(resolved->addresses, (Addresses{{10, 4, 4, 4}}));
  EXPECT_EQ(network.forged_accepted, 0);
  EXPECT_EQ(network.sent.size(), 1u);
}

TEST(QueryDns, ServfailAndRefusalMoveOnAndThoseServersAreNotAskedAgain) {
  FakeNetwork network;
  network.behave = [](Ipv4Address server, const std::string&) {
    if (server == kServer1) return Behaviour{Reaction::servfail};
    if (server == kServer2) return Behaviour{Reaction::refused};
    return Behaviour{Reaction::silent};
  };
  const auto resolved =
      query_dns("www.example.test", three_servers(), network.transport(), counting_ids());
  EXPECT_EQ(resolved.error(), EAI_AGAIN);
  EXPECT_EQ(network.servers_asked(),
            (std::vector<Ipv4Address>{kServer1, kServer2, kServer3, kServer3}));
}

TEST(QueryDns, OnlyUnusableAnswersIsEaiFail) {
  FakeNetwork network;
  network.behave = [](Ipv4Address server, const std::string&) {
    return Behaviour{server == kServer2 ? Reaction::truncated : Reaction::garbage};
  };
  const auto resolved =
      query_dns("www.example.test", three_servers(), network.transport(), counting_ids());
  EXPECT_EQ(resolved.error(), EAI_FAIL);
  EXPECT_EQ(network.servers_asked(), (std::vector<Ipv4Address>{kServer1, kServer2, kServer3}));
}

TEST(QueryDns, NxdomainIsFinalForTheNameAndNoDataIsEaiNoname) {
  FakeNetwork network;
  network.behave = [](Ipv4Address, const std::string& name) {
    return Behaviour{name == "a.test" ? Reaction::nxdomain : Reaction::no_data};
  };
  EXPECT_EQ(query_dns("a.test", three_servers(), network.transport(), counting_ids()).error(),
            EAI_NONAME);
  EXPECT_EQ(query_dns("b.test", three_servers(), network.transport(), counting_ids()).error(),
            EAI_NONAME);
  EXPECT_EQ(network.servers_asked(), (std::vector<Ipv4Address>{kServer1, kServer1}));
}

TEST(QueryDns, ASearchDomainThatResolvesGivesTheFullName) {
  FakeNetwork network;
  network.behave = [](Ipv4Address, const std::string& name) {
    if (name == "host.b.test") return Behaviour{Reaction::answer, {{10, 5, 5, 5}}};
    return Behaviour{Reaction::nxdomain};
  };
  const auto resolved =
      query_dns("host", three_servers({"a.test", "b.test"}), network.transport(), counting_ids());
  ASSERT_TRUE(resolved);
  EXPECT_EQ(resolved->canonical_name, "host.b.test");
  EXPECT_EQ(network.names_asked(), (Names{"host.a.test", "host.b.test"}));
}

TEST(QueryDns, WhenTheNameWasTriedAsIsFirstItsErrorIsReported) {
  FakeNetwork network;
  network.behave = [](Ipv4Address, const std::string& name) {
    return Behaviour{name == "x.y" ? Reaction::nxdomain : Reaction::servfail};
  };
  const auto resolved =
      query_dns("x.y", three_servers({"a.test"}), network.transport(), counting_ids());
  EXPECT_EQ(resolved.error(), EAI_NONAME);
  EXPECT_EQ(network.names_asked(), (Names{"x.y", "x.y.a.test"}));
}

TEST(QueryDns, NoDataWinsOverServfailAcrossSearchDomains) {
  FakeNetwork network;
  network.behave = [](Ipv4Address, const std::string& name) {
    return Behaviour{name == "h.a.test" ? Reaction::no_data : Reaction::servfail};
  };
  ResolverConfig config = three_servers({"a.test", "b.test"});
  config.nameservers = {kServer1};
  EXPECT_EQ(query_dns("h", config, network.transport(), counting_ids()).error(), EAI_NONAME);
  EXPECT_EQ(network.names_asked(), (Names{"h.a.test", "h.b.test", "h"}));
  network.sent.clear();
  network.behave = [](Ipv4Address, const std::string&) { return Behaviour{Reaction::servfail}; };
  EXPECT_EQ(query_dns("h", config, network.transport(), counting_ids()).error(), EAI_AGAIN);
}

TEST(QueryDns, ATimeoutEndsTheSearch) {
  FakeNetwork network;
  ResolverConfig config = three_servers({"a.test", "b.test"});
  config.nameservers = {kServer1};
  config.attempts = 1;
  EXPECT_EQ(query_dns("h", config, network.transport(), counting_ids()).error(), EAI_AGAIN);
  EXPECT_EQ(network.names_asked(), (Names{"h.a.test"}));
}

TEST(QueryDns, CandidatesTooLongForTheWireAreSkipped) {
  FakeNetwork network;
  network.behave = [](Ipv4Address, const std::string&) {
    return Behaviour{Reaction::answer, {{10, 6, 6, 6}}};
  };
  const std::string name(63, 'h');
  const std::string long_domain =
      std::string(63, 'd') + "." + std::string(63, 'e') + "." + std::string(63, 'f');
  const auto resolved =
      query_dns(name, three_servers({long_domain, "ok.test"}), network.transport(), counting_ids());
  ASSERT_TRUE(resolved);
  EXPECT_EQ(network.names_asked(), (Names{name + ".ok.test"}));
}

// A private directory with a hosts file and a resolv.conf.
class ResolverFilesFixture : public ::testing::Test {
 protected:
  ResolverFilesFixture() {
    std::string pattern = std::filesystem::temp_directory_path() / "tapstack-dns-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
    directory_ = pattern;
    files_.hosts = directory_ + "/hosts";
    files_.resolv_conf = directory_ + "/resolv.conf";
  }
  ~ResolverFilesFixture() override { std::filesystem::remove_all(directory_); }

  void write(const std::string& path, std::string_view text) {
    std::ofstream(path, std::ios::binary) << text;
  }

  std::string directory_;
  ResolverFiles files_;
  FakeNetwork network_;
};

TEST_F(ResolverFilesFixture, TheHostsFileComesBeforeDns) {
  write(files_.hosts, "10.7.7.7 box.test box\n");
  const auto resolved = resolve_ipv4("box", files_, network_.transport(), counting_ids());
  ASSERT_TRUE(resolved);
  EXPECT_EQ(resolved->addresses, (Addresses{{10, 7, 7, 7}}));
  EXPECT_EQ(resolved->canonical_name, "box.test");
  EXPECT_EQ(resolved->aliases, (Names{"box"}));
  EXPECT_TRUE(network_.sent.empty());
}

TEST_F(ResolverFilesFixture, DnsFollowsResolvConf) {
  write(files_.hosts, "10.7.7.7 box.test\n");
  write(files_.resolv_conf,
        "nameserver 192.0.2.3\nsearch corp.test\noptions timeout:1 attempts:1\n");
  network_.behave = [](Ipv4Address, const std::string& name) {
    if (name == "other.corp.test") return Behaviour{Reaction::answer, {{10, 8, 8, 8}}};
    return Behaviour{Reaction::nxdomain};
  };
  const auto resolved = resolve_ipv4("other", files_, network_.transport(), counting_ids());
  ASSERT_TRUE(resolved);
  EXPECT_EQ(resolved->addresses, (Addresses{{10, 8, 8, 8}}));
  EXPECT_TRUE(resolved->aliases.empty());  // the full name is the canonical name, no CNAME
  ASSERT_EQ(network_.sent.size(), 1u);
  EXPECT_EQ(network_.sent[0].server, kServer3);
  EXPECT_EQ(network_.sent[0].timeout, 1000ms);
}

TEST_F(ResolverFilesFixture, MissingFilesMeanNoHostsAndTheLocalServer) {
  const auto resolved = resolve_ipv4("absent.test.", files_, network_.transport(), counting_ids());
  EXPECT_EQ(resolved.error(), EAI_AGAIN);
  ASSERT_EQ(network_.sent.size(), 2u);  // two attempts at 127.0.0.1
  EXPECT_EQ(network_.sent[0].server, (Ipv4Address{127, 0, 0, 1}));
  EXPECT_EQ(network_.sent[0].name, "absent.test");
}

TEST_F(ResolverFilesFixture, AnEmptyNameIsNoName) {
  EXPECT_EQ(resolve_ipv4("", files_, network_.transport(), counting_ids()).error(), EAI_NONAME);
  EXPECT_TRUE(network_.sent.empty());
}

}  // namespace
}  // namespace tapstack::dns
