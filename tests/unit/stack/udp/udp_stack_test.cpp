// UDP through one Stack with hand-made frames: the bytes we send (against a datagram captured
// from the Linux kernel), checksum and length checks on receive, ICMP port unreachable and when
// not to send it, received ICMP errors, and the stack-wide UDP settings.
#include <array>
#include <string_view>

#include "stack/udp/udp_layer.hpp"
#include "stack/wire/udp.hpp"
#include "support/hex.hpp"
#include "unit/stack/stack_fixture.hpp"
#include "unit/stack/wire/tcp_fixtures.hpp"

namespace tapstack::test {
namespace {

constexpr std::uint8_t kUdp = 17;

std::optional<wire::Ipv4View> ip_of(const Frame& f) {
  if (f.size() < 14 || wire::load16(f, 12) != 0x0800) return std::nullopt;
  auto ip = wire::Ipv4View::check(wire::Bytes{f}.subspan(14));
  return ip ? std::optional{*ip} : std::nullopt;
}

// A UDP datagram (header + payload) with a correct checksum.
Frame udp_datagram(SocketAddress from, SocketAddress to, wire::Bytes payload) {
  Frame d(wire::UdpHeader::kSize + payload.size());
  wire::UdpHeader{from.port, to.port}.emit(d, from.address, to.address, std::span{&payload, 1});
  std::copy(payload.begin(), payload.end(), d.begin() + wire::UdpHeader::kSize);
  return d;
}

class UdpStack : public StackTest {
 protected:
  explicit UdpStack(StackSettings settings = small_settings()) : StackTest(settings) {}
  void SetUp() override { learn_peer(); }

  UdpLayer& udp() { return stack_.udp(); }

  SocketHandle bound(std::uint16_t port, UdpSocketOptions options = {}) {
    const auto socket = udp().open(options);
    EXPECT_TRUE(socket);
    EXPECT_TRUE(udp().bind(*socket, {Ipv4Addr::any(), port}));
    return *socket;
  }

  Frame udp_packet(const Frame& datagram, Ipv4Addr dst = kStackIp) {
    return ipv4_packet(ip_header(kPeerIp, dst, kUdp), datagram);
  }

  void receive_udp(const Frame& datagram, Ipv4Addr dst = kStackIp, MacAddr mac = kStackMac) {
    receive(ip_frame(udp_packet(datagram, dst), mac));
  }

  // An ICMP destination unreachable from the peer quoting the IP header and `quote_bytes` of
  // an empty UDP datagram we sent.
  Frame unreachable(std::uint8_t code, SocketAddress from, SocketAddress to,
                    std::size_t quote_bytes = 8) {
    const Frame original =
        ipv4_packet(ip_header(from.address, to.address, kUdp), udp_datagram(from, to, {}));
    const wire::Bytes quote = wire::Bytes{original}.first(20 + quote_bytes);
    return ipv4_packet(ip_header(kPeerIp, kStackIp, 1), icmp_message(3, code, 0, quote));
  }
};

TEST_F(UdpStack, DeliversAChecksummedDatagram) {
  const SocketHandle socket = bound(5000);
  const auto payload = pattern(33);
  receive_udp(udp_datagram({kPeerIp, 4000}, {kStackIp, 5000}, payload));
  std::array<std::byte, 100> out{};
  const auto got = udp().receive(socket, out, false);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->size, 33u);
  EXPECT_EQ(got->source, (SocketAddress{kPeerIp, 4000}));
  EXPECT_TRUE(std::equal(payload.begin(), payload.end(), out.begin()));
  EXPECT_EQ(count(Counter::udp_rx_datagrams), 1u);
}

TEST_F(UdpStack, DropsBadChecksumsAndLengthsWithoutAnswering) {
  const SocketHandle socket = bound(5000);
  auto corrupt = udp_datagram({kPeerIp, 4000}, {kStackIp, 5000}, pattern(20));
  corrupt.back() ^= std::byte{1};
  receive_udp(corrupt);
  auto long_length = udp_datagram({kPeerIp, 4000}, {kStackIp, 5000}, pattern(20));
  wire::store16(long_length, 4, 29);
  receive_udp(long_length);
  receive_udp(Frame(6));
  EXPECT_EQ(count(Counter::udp_drop_bad_checksum), 1u);
  EXPECT_EQ(count(Counter::udp_drop_bad_length), 1u);
  EXPECT_EQ(count(Counter::udp_drop_truncated), 1u);
  EXPECT_TRUE(sent().empty());  // no port unreachable for a datagram we could not read
  std::array<std::byte, 100> out{};
  EXPECT_EQ(udp().receive(socket, out, false).error(), SocketError::would_block);
}

// RFC 768: a zero checksum means the sender computed none; the datagram is accepted as is.
TEST_F(UdpStack, AcceptsAZeroChecksum) {
  const SocketHandle socket = bound(5000);
  auto datagram = udp_datagram({kPeerIp, 4000}, {kStackIp, 5000}, pattern(20));
  wire::store16(datagram, 6, 0);
  datagram.back() ^= std::byte{1};  // would fail any checksum
  receive_udp(datagram);
  std::array<std::byte, 100> out{};
  EXPECT_EQ(udp().receive(socket, out, false)->size, 20u);
}

TEST_F(UdpStack, AnswersANoSocketDatagramWithPortUnreachable) {
  const Frame packet = udp_packet(udp_datagram({kPeerIp, 4000}, {kStackIp, 5000}, pattern(20)));
  receive(ip_frame(packet));
  const auto frames = sent();
  ASSERT_EQ(frames.size(), 1u);
  const auto ip = ip_of(frames[0]);
  ASSERT_TRUE(ip);
  EXPECT_EQ(ip->source(), kStackIp);
  EXPECT_EQ(ip->destination(), kPeerIp);
  const auto icmp = wire::IcmpHeader::parse(ip->payload());
  EXPECT_EQ(icmp->type, 3);
  EXPECT_EQ(icmp->code, 3);
  EXPECT_TRUE(wire::IcmpHeader::checksum_ok(ip->payload()));
  EXPECT_TRUE(std::ranges::equal(ip->payload().subspan(8), packet));  // the whole original
  EXPECT_EQ(count(Counter::udp_rx_no_port), 1u);
}

// RFC 1122 §4.1.3.1: never an error for a datagram sent to a broadcast address, at the IP or
// the link layer.
TEST_F(UdpStack, NeverAnswersABroadcastWithPortUnreachable) {
  receive_udp(udp_datagram({kPeerIp, 4000}, {Ipv4Addr(10, 0, 0, 255), 5000}, pattern(8)),
              Ipv4Addr(10, 0, 0, 255), MacAddr::broadcast());
  receive_udp(udp_datagram({kPeerIp, 4000}, {Ipv4Addr::broadcast(), 5000}, pattern(8)),
              Ipv4Addr::broadcast(), MacAddr::broadcast());
  receive_udp(udp_datagram({kPeerIp, 4000}, {kStackIp, 5000}, pattern(8)), kStackIp,
              MacAddr::broadcast());
  EXPECT_TRUE(sent().empty());
  EXPECT_EQ(count(Counter::udp_rx_ignored_broadcast), 2u);
  EXPECT_EQ(count(Counter::udp_rx_no_port), 1u);
}

TEST_F(UdpStack, PortUnreachablesAreRateLimited) {
  const Frame packet = udp_packet(udp_datagram({kPeerIp, 4000}, {kStackIp, 5000}, pattern(8)));
  for (int i = 0; i < 60; ++i) receive(ip_frame(packet));
  EXPECT_EQ(sent().size(), 50u);  // IcmpLayer's burst
  EXPECT_EQ(count(Counter::icmp_tx_rate_limited), 10u);
  EXPECT_EQ(count(Counter::udp_rx_no_port), 60u);
}

TEST_F(UdpStack, AReceivedBroadcastWakesTheWildcardSocket) {
  const SocketHandle socket = bound(5000);
  receive_udp(udp_datagram({kPeerIp, 4000}, {Ipv4Addr::broadcast(), 5000}, pattern(8)),
              Ipv4Addr::broadcast(), MacAddr::broadcast());
  const auto event = udp().pop_event();
  ASSERT_TRUE(event);
  EXPECT_EQ(event->socket, socket);
  EXPECT_EQ(event->events, udp_event::readable);
}

TEST_F(UdpStack, AnIcmpPortUnreachableRefusesOnlyTheMatchingConnectedSocket) {
  const auto socket = udp().open({});
  ASSERT_TRUE(udp().connect(*socket, {kPeerIp, 53}));
  const SocketAddress me = *udp().local_address(*socket);
  // Not for this socket: another code (a soft error Linux does not report without
  // IP_RECVERR), another peer port, a truncated quote, an error sent to a broadcast.
  receive(ip_frame(unreachable(1, me, {kPeerIp, 53})));
  receive(ip_frame(unreachable(3, me, {kPeerIp, 54})));
  receive(ip_frame(unreachable(3, me, {kPeerIp, 53}, 4)));
  receive(ip_frame(unreachable(3, me, {kPeerIp, 53}), MacAddr::broadcast()));
  EXPECT_FALSE(udp().take_error(*socket).has_value());
  EXPECT_EQ(count(Counter::icmp_drop_truncated), 1u);
  EXPECT_EQ(count(Counter::icmp_rx_dest_unreachable), 4u);

  receive(ip_frame(unreachable(3, me, {kPeerIp, 53})));
  EXPECT_EQ(udp().take_error(*socket), SocketError::connection_refused);
  EXPECT_EQ(count(Counter::udp_connection_refused), 1u);
  EXPECT_TRUE(sent().empty());  // never an error about an error
}

// RFC 768: the checksum is always generated, and a computed zero goes out as 0xffff. By hand,
// 10.0.0.2:5000 -> 10.0.0.1:4000 with a 2-byte payload: pseudo-header 0a00 + 0002 + 0a00 + 0001
// + 0011 + 000a, header 1388 + 0fa0 + 000a: sum 0x3750. Payload 0000 gives checksum ~0x3750 =
// 0xc8af; payload c8af brings the sum to 0xffff, whose complement is zero.
TEST_F(UdpStack, AlwaysSendsAChecksumAndNeverZero) {
  const auto socket = udp().open({});
  ASSERT_TRUE(udp().bind(*socket, {Ipv4Addr::any(), 5000}));
  const std::array<std::byte, 2> zeros{};
  const std::array<std::byte, 2> to_zero{std::byte{0xc8}, std::byte{0xaf}};
  ASSERT_TRUE(udp().send_to(*socket, {kPeerIp, 4000}, zeros, now_));
  ASSERT_TRUE(udp().send_to(*socket, {kPeerIp, 4000}, to_zero, now_));
  const auto frames = sent();
  ASSERT_EQ(frames.size(), 2u);
  const auto first = ip_of(frames[0]);
  const auto second = ip_of(frames[1]);
  ASSERT_TRUE(first && second);
  EXPECT_TRUE(std::ranges::equal(first->payload(), hex("1388 0fa0 000a c8af 0000")));
  EXPECT_TRUE(std::ranges::equal(second->payload(), hex("1388 0fa0 000a ffff c8af")));
}

// RFC 768 on the wire: the datagram Linux sent in tests/unit/stack/wire (10.9.0.1:50199 ->
// 10.9.0.2:9999, "tapstack udp\n") comes out byte for byte, checksum 0xb501 included.
TEST(UdpWire, SendsTheKernelCapturedDatagramByteForByte) {
  Stack stack(StackSettings{});
  const Instant now = at(std::chrono::seconds(5));
  const MacAddr peer_mac{{0x7e, 0x3e, 0x27, 0x04, 0x4c, 0x28}};
  InterfaceSettings iface;
  iface.mac = MacAddr{{0x4a, 0x69, 0x5e, 0xdd, 0x52, 0x06}};
  iface.addresses = {Ipv4Cidr{Ipv4Addr(10, 9, 0, 1), 24}};
  const InterfaceId id = stack.add_interface(iface, now);
  stack.receive(id,
                arp_frame(wire::ArpOp::request, peer_mac, Ipv4Addr(10, 9, 0, 2), MacAddr{},
                          Ipv4Addr(10, 9, 0, 1)),
                now);
  drain(stack);

  const auto socket = stack.udp().open({});
  ASSERT_TRUE(stack.udp().bind(*socket, {Ipv4Addr::any(), 50199}));
  const std::string_view text = "tapstack udp\n";
  ASSERT_TRUE(stack.udp().send_to(*socket, {Ipv4Addr(10, 9, 0, 2), 9999},
                                  std::as_bytes(std::span{text}), now));
  const auto frames = drain(stack);
  ASSERT_EQ(frames.size(), 1u);
  const auto captured = hex(fixtures::kUdpDatagram);
  // Ethernet header: equal. IPv4: equal but for the identification, DF (Linux sets it for
  // path MTU discovery; we fragment instead) and so the header checksum.
  EXPECT_TRUE(std::equal(captured.begin(), captured.begin() + 14, frames[0].begin()));
  const auto ip = ip_of(frames[0]);
  ASSERT_TRUE(ip);
  EXPECT_EQ(ip->total_length(), 0x29);
  EXPECT_EQ(ip->ttl(), 64);
  EXPECT_EQ(ip->protocol(), kUdp);
  EXPECT_FALSE(ip->dont_fragment());
  EXPECT_EQ(ip->source(), Ipv4Addr(10, 9, 0, 1));
  EXPECT_EQ(ip->destination(), Ipv4Addr(10, 9, 0, 2));
  ASSERT_EQ(frames[0].size(), captured.size());
  EXPECT_TRUE(std::equal(captured.begin() + 34, captured.end(), frames[0].begin() + 34));
  EXPECT_EQ(stack.counters().get(Counter::udp_tx_datagrams), 1u);
}

class UdpSettingsTest : public UdpStack {
 protected:
  static StackSettings limited() {
    StackSettings s = small_settings();
    s.udp.ephemeral_first = 40000;
    s.udp.ephemeral_last = 40000;
    s.udp.receive_buffer = 1000;
    s.udp.receive_buffer_max = 5000;
    s.udp.max_sockets = 4;
    return s;
  }
  UdpSettingsTest() : UdpStack(limited()) {}
};

TEST_F(UdpSettingsTest, RunsOutOfEphemeralPorts) {
  const auto first = udp().open({});
  ASSERT_TRUE(udp().bind(*first, {Ipv4Addr::any(), 0}));
  EXPECT_EQ(udp().local_address(*first)->port, 40000);
  const auto second = udp().open({});
  EXPECT_EQ(udp().bind(*second, {Ipv4Addr::any(), 0}).error(), SocketError::address_in_use);
  EXPECT_EQ(udp().send_to(*second, {kPeerIp, 53}, {}, now_).error(),
            SocketError::address_not_available);
  EXPECT_EQ(udp().connect(*second, {kPeerIp, 53}).error(), SocketError::address_not_available);
  udp().close(*first);
  EXPECT_TRUE(udp().connect(*second, {kPeerIp, 53}));
}

TEST_F(UdpSettingsTest, SizesReceiveBuffersAndCountsSockets) {
  const auto plain = udp().open({});
  const auto large = udp().open(UdpSocketOptions{.receive_buffer = 8000});
  const auto small = udp().open(UdpSocketOptions{.receive_buffer = 300});
  ASSERT_TRUE(plain && large && small);
  const auto summary = udp().snapshot();
  ASSERT_EQ(summary.size(), 3u);
  EXPECT_EQ(summary[0].receive_buffer, 1000u);  // the stack default
  EXPECT_EQ(summary[1].receive_buffer, 5000u);  // capped at receive_buffer_max
  EXPECT_EQ(summary[2].receive_buffer, 300u);
  ASSERT_TRUE(udp().set_options(*small, {}));
  EXPECT_EQ(udp().snapshot()[2].receive_buffer, 1000u);

  EXPECT_TRUE(udp().open({}));
  EXPECT_EQ(udp().open({}).error(), SocketError::no_buffer_space);  // max_sockets
  udp().close(*plain);
  EXPECT_TRUE(udp().open({}));
}

}  // namespace
}  // namespace tapstack::test
