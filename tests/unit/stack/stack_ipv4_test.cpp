// IPv4 and ICMP through the whole Stack: validation drops, echo, fragmentation both ways,
// protocol unreachable, and the RFC 1122 rules on when not to answer.
#include "stack/ipv4/reassembly.hpp"
#include "unit/stack/stack_fixture.hpp"

namespace tapstack::test {
namespace {

struct Received {
  wire::Ipv4View ip;
  wire::IcmpHeader icmp;
};

// Parses a frame the stack sent as IPv4 (+ ICMP when present).
std::optional<wire::Ipv4View> ip_of(const Frame& f) {
  if (f.size() < 14 || wire::load16(f, 12) != 0x0800) return std::nullopt;
  auto ip = wire::Ipv4View::check(wire::Bytes{f}.subspan(14));
  return ip ? std::optional{*ip} : std::nullopt;
}

class StackIpv4 : public StackTest {
 protected:
  void SetUp() override { learn_peer(); }
};

TEST_F(StackIpv4, AnswersEchoWithTheSameIdSequenceAndData) {
  receive(ip_frame(echo_request(56)));
  const auto frames = sent();
  ASSERT_EQ(frames.size(), 1u);
  const auto ip = ip_of(frames[0]);
  ASSERT_TRUE(ip);
  EXPECT_EQ(ip->source(), kStackIp);
  EXPECT_EQ(ip->destination(), kPeerIp);
  EXPECT_EQ(ip->ttl(), 64);
  EXPECT_EQ(ip->protocol(), 1);
  const auto icmp = wire::IcmpHeader::parse(ip->payload());
  EXPECT_EQ(icmp->type, 0);
  EXPECT_EQ(icmp->rest, 0x12340001u);
  EXPECT_TRUE(wire::IcmpHeader::checksum_ok(ip->payload()));
  const auto data = pattern(56);
  EXPECT_TRUE(std::ranges::equal(ip->payload().subspan(8), data));
  EXPECT_EQ(count(Counter::icmp_rx_echo_requests), 1u);
  EXPECT_EQ(count(Counter::ipv4_rx_delivered), 1u);
}

// Splits `packet` into fragments of at most `max_payload` bytes (a multiple of 8).
std::vector<Frame> fragment(const Frame& packet, std::size_t max_payload) {
  const auto view = wire::Ipv4View::check(packet);
  std::vector<Frame> out;
  const auto payload = view->payload();
  for (std::size_t off = 0; off < payload.size(); off += max_payload) {
    auto h = ip_header(view->source(), view->destination(), view->protocol(), view->id());
    h.fragment_offset = off;
    const std::size_t len = std::min(max_payload, payload.size() - off);
    h.more_fragments = off + len < payload.size();
    out.push_back(ipv4_packet(h, payload.subspan(off, len)));
  }
  return out;
}

TEST_F(StackIpv4, ReassemblesALargeEchoAndFragmentsTheReply) {
  const auto request = echo_request(8000);
  for (const auto& frag : fragment(request, 1480)) receive(ip_frame(frag));
  const auto frames = sent();
  ASSERT_EQ(frames.size(), 6u);  // 8008 ICMP bytes in 1480-byte fragments
  Counters scratch;
  ReassemblyQueue peer({}, scratch);
  std::optional<std::vector<std::byte>> whole;
  for (const auto& f : frames) {
    const auto ip = ip_of(f);
    ASSERT_TRUE(ip);
    EXPECT_LE(ip->total_length(), 1500);
    auto done = peer.add({{ip->source(), ip->destination(), ip->protocol(), ip->id()},
                          ip->fragment_offset(),
                          ip->more_fragments(),
                          ip->payload()},
                         now_);
    if (done) whole.emplace(done->payload.begin(), done->payload.end());
  }
  ASSERT_TRUE(whole);
  ASSERT_EQ(whole->size(), 8008u);
  EXPECT_EQ(wire::load8(*whole, 0), 0);  // echo reply
  EXPECT_TRUE(wire::IcmpHeader::checksum_ok(*whole));
  EXPECT_TRUE(std::ranges::equal(wire::Bytes{*whole}.subspan(8), pattern(8000)));
  EXPECT_EQ(count(Counter::ipv4_frag_reassembled), 1u);
  EXPECT_EQ(count(Counter::ipv4_tx_fragmented), 1u);
  EXPECT_EQ(count(Counter::ipv4_tx_fragments), 6u);
}

TEST_F(StackIpv4, AnswersTheLargestEchoReassemblyAllows) {
  const auto request = echo_request(65535 - 20 - 8);
  for (const auto& frag : fragment(request, 1480)) receive(ip_frame(frag));
  EXPECT_EQ(sent().size(), 45u);
  EXPECT_EQ(count(Counter::icmp_tx_echo_replies), 1u);
}

TEST_F(StackIpv4, CountsEachMalformedPacketAndAnswersNothing) {
  const auto good = echo_request(8);
  auto with = [&](std::size_t at, std::byte value) {
    auto p = good;
    p[at] = value;
    return ip_frame(p);
  };
  receive(ip_frame(Frame(good.begin(), good.begin() + 12)));  // truncated header
  receive(with(0, std::byte{0x65}));                          // version 6
  receive(with(0, std::byte{0x43}));                          // IHL 3
  receive(with(3, std::byte{0xff}));                          // total length past the frame
  receive(with(10, good[10] ^ std::byte{0xff}));              // header checksum
  EXPECT_TRUE(sent().empty());
  EXPECT_EQ(count(Counter::ipv4_drop_truncated), 1u);
  EXPECT_EQ(count(Counter::ipv4_drop_bad_version), 1u);
  EXPECT_EQ(count(Counter::ipv4_drop_bad_ihl), 1u);
  EXPECT_EQ(count(Counter::ipv4_drop_bad_total_length), 1u);
  EXPECT_EQ(count(Counter::ipv4_drop_bad_checksum), 1u);
  EXPECT_EQ(count(Counter::ipv4_rx_delivered), 0u);
}

TEST_F(StackIpv4, DropsBadAddressesAndExpiredTtl) {
  const auto icmp = icmp_message(8, 0, 1, pattern(8));
  auto from = [&](Ipv4Addr src, Ipv4Addr dst, std::uint8_t ttl = 64) {
    auto h = ip_header(src, dst, 1);
    h.ttl = ttl;
    return ip_frame(ipv4_packet(h, icmp));
  };
  receive(from(Ipv4Addr(10, 0, 0, 255), kStackIp));  // directed broadcast source
  receive(from(Ipv4Addr(224, 0, 0, 1), kStackIp));   // multicast source
  receive(from(Ipv4Addr(127, 0, 0, 1), kStackIp));   // loopback source
  receive(from(kStackIp, kStackIp));                 // our own address
  receive(from(kPeerIp, Ipv4Addr(10, 0, 0, 3)));     // another host: we do not forward
  receive(from(kPeerIp, kStackIp, 0));
  EXPECT_TRUE(sent().empty());
  EXPECT_EQ(count(Counter::ipv4_drop_bad_source), 4u);
  EXPECT_EQ(count(Counter::ipv4_drop_not_for_us), 1u);
  EXPECT_EQ(count(Counter::ipv4_drop_ttl_expired), 1u);
}

TEST_F(StackIpv4, ReportsAnUnknownProtocolAsUnreachableQuotingTheOriginal) {
  const auto packet = ipv4_packet(ip_header(kPeerIp, kStackIp, 253), pattern(100));
  receive(ip_frame(packet));
  const auto frames = sent();
  ASSERT_EQ(frames.size(), 1u);
  const auto ip = ip_of(frames[0]);
  ASSERT_TRUE(ip);
  const auto icmp = wire::IcmpHeader::parse(ip->payload());
  EXPECT_EQ(icmp->type, 3);
  EXPECT_EQ(icmp->code, 2);
  EXPECT_TRUE(wire::IcmpHeader::checksum_ok(ip->payload()));
  // RFC 792: the original header and (at least) its first 8 data bytes follow.
  EXPECT_TRUE(std::ranges::equal(ip->payload().subspan(8), packet));
  EXPECT_EQ(count(Counter::ipv4_drop_unknown_protocol), 1u);
  EXPECT_EQ(count(Counter::icmp_tx_dest_unreachable), 1u);
}

TEST_F(StackIpv4, NeverAnswersBroadcastsWithErrorsOrEchoes) {
  receive(ip_frame(ipv4_packet(ip_header(kPeerIp, Ipv4Addr(10, 0, 0, 255), 253), pattern(8))));
  receive(ip_frame(echo_request(8, Ipv4Addr::broadcast())));
  receive(ip_frame(echo_request(8), MacAddr::broadcast()));
  EXPECT_TRUE(sent().empty());
  EXPECT_EQ(count(Counter::icmp_rx_echo_requests), 2u);
}

TEST_F(StackIpv4, NeverAnswersAnIcmpErrorWithAnError) {
  // An ICMP error whose type we do not handle is counted, never answered.
  receive(
      ip_frame(ipv4_packet(ip_header(kPeerIp, kStackIp, 1), icmp_message(11, 0, 0, pattern(28)))));
  EXPECT_TRUE(sent().empty());
  EXPECT_EQ(count(Counter::icmp_drop_unsupported_type), 1u);
}

TEST_F(StackIpv4, RateLimitsErrors) {
  const auto packet = ipv4_packet(ip_header(kPeerIp, kStackIp, 253), pattern(8));
  for (int i = 0; i < 60; ++i) receive(ip_frame(packet));
  EXPECT_EQ(sent().size(), 50u);  // the burst
  EXPECT_EQ(count(Counter::icmp_tx_rate_limited), 10u);
  now_ += std::chrono::milliseconds(10);  // 1000/s: ten more tokens
  for (int i = 0; i < 20; ++i) receive(ip_frame(packet));
  EXPECT_EQ(sent().size(), 10u);
}

TEST_F(StackIpv4, DropsBadIcmp) {
  auto icmp = icmp_message(8, 0, 1, pattern(8));
  icmp[2] ^= std::byte{1};
  receive(ip_frame(ipv4_packet(ip_header(kPeerIp, kStackIp, 1), icmp)));
  receive(ip_frame(ipv4_packet(ip_header(kPeerIp, kStackIp, 1), pattern(4))));
  EXPECT_TRUE(sent().empty());
  EXPECT_EQ(count(Counter::icmp_drop_bad_checksum), 1u);
  EXPECT_EQ(count(Counter::icmp_drop_truncated), 1u);
}

TEST_F(StackIpv4, DropsFramesNotForUsAtTheLinkLayer) {
  receive(Frame(10));
  receive(ip_frame(echo_request(8), MacAddr{{2, 0, 0, 0, 0, 0x77}}));
  receive(ethernet(kStackMac, kPeerMac, static_cast<wire::EtherType>(0x86dd), pattern(40)));
  EXPECT_TRUE(sent().empty());
  EXPECT_EQ(count(Counter::eth_drop_truncated), 1u);
  EXPECT_EQ(count(Counter::eth_drop_not_for_us), 1u);
  EXPECT_EQ(count(Counter::eth_drop_unknown_ethertype), 1u);
  EXPECT_EQ(count(Counter::eth_rx_frames), 4u);  // including learn_peer's ARP
}

TEST_F(StackIpv4, RoutesOffLinkDestinationsThroughTheGateway) {
  const auto icmp = icmp_message(8, 0, 7, pattern(8));
  receive(ip_frame(ipv4_packet(ip_header(Ipv4Addr(192, 0, 2, 9), kStackIp, 1), icmp)));
  const auto frames = sent();
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(wire::EthernetHeader::parse(frames[0])->destination, kPeerMac);  // the gateway
  EXPECT_EQ(ip_of(frames[0])->destination(), Ipv4Addr(192, 0, 2, 9));
}

class StackTinyPool : public StackTest {
 protected:
  StackTinyPool() : StackTest(tiny()) {}
  static StackSettings tiny() {
    auto s = small_settings();
    s.tx_queue_frames = 4;
    return s;
  }
};

TEST_F(StackTinyPool, CountsTxQueueOverflowInsteadOfGrowing) {
  learn_peer();
  for (int i = 0; i < 10; ++i) receive(ip_frame(echo_request(8)));
  EXPECT_EQ(sent().size(), 4u);
  EXPECT_EQ(count(Counter::eth_tx_drop_queue_full), 6u);
}

}  // namespace
}  // namespace tapstack::test
