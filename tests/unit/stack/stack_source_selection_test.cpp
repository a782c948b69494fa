// Which source address the stack puts on what it originates when it has several: the route's
// preferred source (longest prefix, RFC 1812 §5.2.4.3), for UDP, TCP and ARP alike, and never
// an address that has been removed.
#include "stack/tcp/tcp_layer.hpp"
#include "stack/udp/udp_layer.hpp"
#include "unit/stack/stack_fixture.hpp"

namespace tapstack::test {
namespace {

const MacAddr kOtherMac{{0x02, 0x00, 0x00, 0x00, 0x00, 0x09}};

std::optional<wire::ArpPacket> arp_of(const Frame& f) {
  const auto eth = wire::EthernetHeader::parse(f);
  if (!eth || eth->ethertype != 0x0806) return std::nullopt;
  const auto arp = wire::ArpPacket::parse(wire::Bytes{f}.subspan(14));
  return arp ? std::optional{*arp} : std::nullopt;
}

std::optional<wire::Ipv4View> ip_of(const Frame& f) {
  if (f.size() < 14 || wire::load16(f, 12) != 0x0800) return std::nullopt;
  auto ip = wire::Ipv4View::check(wire::Bytes{f}.subspan(14));
  return ip ? std::optional{*ip} : std::nullopt;
}

Ipv4Cidr cidr(const char* text) {
  return *Ipv4Cidr::parse(text);
}

Ipv4Addr addr(const char* text) {
  return *Ipv4Addr::parse(text);
}

class SourceSelection : public StackTest {
 protected:
  SourceSelection() : StackTest(settings()) {}
  // TCP sends only while more than its control reserve (64 frames) of TX room is left.
  static StackSettings settings() {
    StackSettings s = small_settings();
    s.tx_queue_frames = 256;
    s.tx_buffer_count = 256;
    return s;
  }
  void SetUp() override { learn_peer(); }

  UdpLayer& udp() { return stack_.udp(); }
  TcpLayer& tcp() { return stack_.tcp(); }

  // Teaches the stack `ip`'s MAC through an ARP request from it for our `target`.
  void learn(Ipv4Addr ip, Ipv4Addr target) {
    receive(arp_frame(wire::ArpOp::request, kOtherMac, ip, MacAddr{}, target));
    sent();
  }

  SocketHandle open_udp() {
    const auto socket = udp().open({});
    EXPECT_TRUE(socket);
    return *socket;
  }

  // The one frame the stack sent since the last call.
  Frame only_frame() {
    auto frames = sent();
    EXPECT_EQ(frames.size(), 1u);
    return frames.empty() ? Frame{} : frames[0];
  }

  // The source address of the one IPv4 packet sent, after a UDP datagram to `remote`.
  Ipv4Addr udp_source(SocketHandle socket, SocketAddress remote) {
    const std::array<std::byte, 4> data{};
    EXPECT_TRUE(udp().send_to(socket, remote, data, now_));
    const Frame frame = only_frame();  // outlives the view
    const auto ip = ip_of(frame);
    return ip ? ip->source() : Ipv4Addr{};
  }

  // The source of the SYN of a connection to `remote`, which the socket also reports.
  Ipv4Addr syn_source(SocketAddress remote) {
    const auto socket = tcp().connect({}, remote, {}, now_);
    EXPECT_TRUE(socket);
    const Frame frame = only_frame();  // outlives the view
    const auto ip = ip_of(frame);
    const Ipv4Addr source = ip ? ip->source() : Ipv4Addr{};
    if (socket) {
      EXPECT_EQ(tcp().local_address(*socket)->address, source);
    }
    return source;
  }
};

TEST_F(SourceSelection, TwoSubnetsOnOneInterfaceEachSpeakFromTheirOwnAddress) {
  ASSERT_TRUE(stack_.add_address(id_, cidr("192.168.5.1/24"), now_));
  learn(addr("192.168.5.9"), addr("192.168.5.1"));
  const SocketHandle socket = open_udp();
  EXPECT_EQ(udp_source(socket, {addr("192.168.5.9"), 53}), addr("192.168.5.1"));
  EXPECT_EQ(udp_source(socket, {kPeerIp, 53}), kStackIp);
  // Off-link: the default route's source, whose gateway is on 10.0.0.0/24.
  EXPECT_EQ(udp_source(socket, {addr("198.51.100.1"), 53}), kStackIp);
  EXPECT_EQ(syn_source({addr("192.168.5.9"), 80}), addr("192.168.5.1"));
  EXPECT_EQ(syn_source({kPeerIp, 80}), kStackIp);
}

TEST_F(SourceSelection, OverlappingPrefixesTheLongestMatchChoosesTheSource) {
  // Addresses in the order /8, /24, /32: the order must not matter, only the prefix length.
  ASSERT_TRUE(stack_.add_address(id_, cidr("10.200.0.1/8"), now_));
  ASSERT_TRUE(stack_.remove_address(id_, kStackIp, now_));
  ASSERT_TRUE(stack_.add_address(id_, cidr("10.0.0.2/24"), now_));
  ASSERT_TRUE(stack_.add_address(id_, cidr("10.0.0.77/32"), now_));
  sent();
  const auto routes = stack_.routes();
  ASSERT_EQ(routes.size(), 4u);
  EXPECT_EQ(routes[0].prefix, cidr("10.0.0.77/32"));
  EXPECT_EQ(routes[0].preferred_source, addr("10.0.0.77"));
  EXPECT_EQ(routes[1].prefix, cidr("10.0.0.0/24"));
  EXPECT_EQ(routes[1].preferred_source, kStackIp);
  EXPECT_EQ(routes[2].prefix, cidr("10.0.0.0/8"));
  EXPECT_EQ(routes[2].preferred_source, addr("10.200.0.1"));
  // When 10.0.0.2 went, the gateway 10.0.0.1 stayed on-link through 10/8: the default route
  // kept going, from 10.200.0.1, and keeps that source when 10.0.0.2 comes back.
  EXPECT_EQ(routes[3].kind, RouteKind::default_route);
  EXPECT_EQ(routes[3].preferred_source, addr("10.200.0.1"));

  const SocketHandle socket = open_udp();
  // In 10.0.0.0/24: resolved from and sent from 10.0.0.2, not from the /8's address.
  const std::array<std::byte, 4> data{};
  ASSERT_TRUE(udp().send_to(socket, {addr("10.0.0.9"), 53}, data, now_));
  auto request = arp_of(only_frame());
  ASSERT_TRUE(request);
  EXPECT_EQ(request->sender_ip, kStackIp);
  EXPECT_EQ(udp_source(socket, {kPeerIp, 53}), kStackIp);  // resolved in SetUp
  // Elsewhere in 10/8: from 10.200.0.1.
  ASSERT_TRUE(udp().send_to(socket, {addr("10.5.5.5"), 53}, data, now_));
  request = arp_of(only_frame());
  ASSERT_TRUE(request);
  EXPECT_EQ(request->sender_ip, addr("10.200.0.1"));
  learn(addr("10.5.5.5"), addr("10.200.0.1"));
  EXPECT_EQ(udp_source(socket, {addr("10.5.5.5"), 53}), addr("10.200.0.1"));
  // The /32 is ours: looped back, from and to 10.0.0.77.
  const SocketHandle server = open_udp();
  ASSERT_TRUE(udp().bind(server, {Ipv4Addr::any(), 7000}));
  ASSERT_TRUE(udp().send_to(socket, {addr("10.0.0.77"), 7000}, data, now_));
  advance(std::chrono::milliseconds(1));
  std::array<std::byte, 16> buffer{};
  const auto received = udp().receive(server, buffer, false);
  ASSERT_TRUE(received);
  EXPECT_EQ(received->source.address, addr("10.0.0.77"));
  EXPECT_EQ(received->destination, addr("10.0.0.77"));
}

TEST_F(SourceSelection, ARemovedAddressIsNeverChosenAgain) {
  const Ipv4Addr second = addr("10.0.0.7");
  ASSERT_TRUE(stack_.add_address(id_, Ipv4Cidr{second, 24}, now_));
  const SocketHandle unbound = open_udp();
  const SocketHandle bound = open_udp();
  ASSERT_TRUE(udp().bind(bound, {kStackIp, 5000}));
  const SocketHandle connected = open_udp();
  ASSERT_TRUE(udp().connect(connected, {kPeerIp, 53}));
  ASSERT_EQ(udp().local_address(connected)->address, kStackIp);
  sent();

  ASSERT_TRUE(stack_.remove_address(id_, kStackIp, now_));
  EXPECT_EQ(udp_source(unbound, {kPeerIp, 53}), second);
  EXPECT_EQ(udp_source(unbound, {addr("198.51.100.1"), 53}), second);  // the default route
  EXPECT_NE(udp_source(bound, {kPeerIp, 53}), kStackIp);
  const std::array<std::byte, 4> data{};
  ASSERT_TRUE(udp().send(connected, data, now_));
  EXPECT_EQ(ip_of(only_frame())->source(), second);
  EXPECT_EQ(syn_source({kPeerIp, 80}), second);
  // ARP toward a new neighbour asks from the remaining address.
  ASSERT_TRUE(udp().send_to(unbound, {addr("10.0.0.9"), 53}, data, now_));
  EXPECT_EQ(arp_of(only_frame())->sender_ip, second);
  // Explicit uses of the removed address are refused as for any address not ours.
  EXPECT_EQ(tcp().connect({kStackIp, 0}, {kPeerIp, 80}, {}, now_).error(),
            SocketError::address_not_available);
  EXPECT_EQ(tcp().listen({kStackIp, 80}, 8, {}).error(), SocketError::address_not_available);
  EXPECT_EQ(udp().bind(open_udp(), {kStackIp, 6000}).error(), SocketError::address_not_available);
}

}  // namespace
}  // namespace tapstack::test

namespace tapstack::test {
namespace {

class StaticRoutes : public SourceSelection {};

TEST_F(StaticRoutes, AStaticRouteSendsItsPrefixThroughItsNextHop) {
  ASSERT_TRUE(stack_.add_address(id_, cidr("192.168.5.1/24"), now_));
  EXPECT_FALSE(stack_.add_static_route(cidr("10.9.0.0/16"), addr("172.16.0.1")));  // not on-link
  ASSERT_TRUE(stack_.add_static_route(cidr("10.9.0.0/16"), addr("192.168.5.254")));
  EXPECT_FALSE(stack_.add_static_route(cidr("10.9.0.0/16"), addr("192.168.5.253")));  // taken
  sent();
  const auto routes = stack_.routes();
  const auto route = std::find_if(routes.begin(), routes.end(), [](const RouteSummary& r) {
    return r.prefix == cidr("10.9.0.0/16");
  });
  ASSERT_NE(route, routes.end());
  EXPECT_EQ(route->kind, RouteKind::static_route);
  EXPECT_EQ(route->gateway, addr("192.168.5.254"));
  EXPECT_EQ(route->preferred_source, addr("192.168.5.1"));
  // A datagram to 10.9.1.1 resolves the next hop, from the route's source, not the gateway's.
  const SocketHandle socket = open_udp();
  const std::array<std::byte, 4> data{};
  ASSERT_TRUE(udp().send_to(socket, {addr("10.9.1.1"), 53}, data, now_));
  const auto request = arp_of(only_frame());
  ASSERT_TRUE(request);
  EXPECT_EQ(request->target_ip, addr("192.168.5.254"));
  EXPECT_EQ(request->sender_ip, addr("192.168.5.1"));
}

}  // namespace
}  // namespace tapstack::test
