// ARP through the whole Stack: announcements, replies, resolution with retries, conflicts.
#include "support/hex.hpp"
#include "unit/stack/stack_fixture.hpp"
#include "unit/stack/wire/fixtures.hpp"

namespace tapstack::test {
namespace {

std::optional<wire::ArpPacket> arp_of(const Frame& f) {
  const auto eth = wire::EthernetHeader::parse(f);
  if (!eth || eth->ethertype != 0x0806) return std::nullopt;
  const auto arp = wire::ArpPacket::parse(wire::Bytes{f}.subspan(14));
  return arp ? std::optional{*arp} : std::nullopt;
}

class StackArp : public StackTest {};

TEST_F(StackArp, AnnouncesItsAddressTwiceAtStart) {
  // RFC 5227 §2.3: ANNOUNCE_NUM = 2, ANNOUNCE_INTERVAL = 2 s.
  auto frames = sent();
  ASSERT_EQ(frames.size(), 1u);
  auto arp = arp_of(frames[0]);
  ASSERT_TRUE(arp);
  EXPECT_EQ(arp->operation, wire::ArpOp::request);
  EXPECT_EQ(arp->sender_ip, kStackIp);
  EXPECT_EQ(arp->target_ip, kStackIp);
  EXPECT_EQ(stack_.next_deadline(), now_ + std::chrono::seconds(2));
  advance(std::chrono::seconds(2));
  EXPECT_EQ(sent().size(), 1u);
  advance(std::chrono::seconds(10));
  EXPECT_TRUE(sent().empty());
  EXPECT_EQ(count(Counter::arp_tx_gratuitous), 2u);
}

TEST_F(StackArp, RepliesExactlyAsTheKernelDoes) {
  sent();
  // The kernel's request for 10.0.0.2, with our MAC in the reply's fixture.
  const MacAddr peer{{2, 0, 0, 0, 0, 1}};
  receive(arp_frame(wire::ArpOp::request, peer, kPeerIp, MacAddr{}, kStackIp));
  auto frames = sent();
  ASSERT_EQ(frames.size(), 1u);
  auto expected =
      hex("020000000001 025453000002 0806"
          "0001 0800 06 04 0002 025453000002 0a000002 020000000001 0a000001");
  EXPECT_EQ(frames[0], expected);
  EXPECT_EQ(count(Counter::arp_rx_requests), 1u);
  EXPECT_EQ(count(Counter::arp_tx_replies), 1u);
}

TEST_F(StackArp, IgnoresRequestsForOtherHostsButRefreshesKnownSenders) {
  sent();
  receive(arp_frame(wire::ArpOp::request, kPeerMac, kPeerIp, MacAddr{}, Ipv4Addr(10, 0, 0, 9)));
  EXPECT_TRUE(sent().empty());
  EXPECT_EQ(count(Counter::arp_drop_not_for_us), 1u);
  // Not learned (RFC 826: create entries only for packets addressed to us): an echo reply to
  // the peer still needs an ARP request.
  receive(ip_frame(echo_request(8)));
  auto frames = sent();
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(arp_of(frames[0])->target_ip, kPeerIp);
}

TEST_F(StackArp, QueuesThePacketWhileResolvingAndSendsItOnReply) {
  sent();
  receive(ip_frame(echo_request(8)));
  auto frames = sent();
  ASSERT_EQ(frames.size(), 1u);
  auto request = arp_of(frames[0]);
  ASSERT_TRUE(request);
  EXPECT_EQ(request->operation, wire::ArpOp::request);
  EXPECT_EQ(request->sender_ip, kStackIp);
  receive(arp_frame(wire::ArpOp::reply, kPeerMac, kPeerIp, kStackMac, kStackIp, kStackMac));
  frames = sent();
  ASSERT_EQ(frames.size(), 1u);
  const auto eth = wire::EthernetHeader::parse(frames[0]);
  EXPECT_EQ(eth->destination, kPeerMac);
  EXPECT_EQ(eth->ethertype, 0x0800);
  EXPECT_EQ(count(Counter::icmp_tx_echo_replies), 1u);
}

TEST_F(StackArp, RetriesOncePerSecondThenGivesUpAndDropsTheQueue) {
  advance(std::chrono::seconds(3));  // past the start-up announcements
  sent();
  receive(ip_frame(echo_request(8, kStackIp, 1)));
  receive(ip_frame(echo_request(8, kStackIp, 2)));
  EXPECT_EQ(sent().size(), 1u);  // one request, two packets waiting
  advance(std::chrono::seconds(1));
  EXPECT_EQ(sent().size(), 1u);
  advance(std::chrono::seconds(1));
  EXPECT_EQ(sent().size(), 1u);
  advance(std::chrono::seconds(1));
  EXPECT_TRUE(sent().empty());
  EXPECT_EQ(count(Counter::arp_tx_requests), 3u);
  EXPECT_EQ(count(Counter::arp_resolution_failed), 1u);
  EXPECT_EQ(count(Counter::arp_pending_dropped_unresolved), 2u);
}

TEST_F(StackArp, EntriesAgeOut) {
  learn_peer();
  receive(ip_frame(echo_request(8)));
  EXPECT_EQ(arp_of(sent().at(0)), std::nullopt);  // resolved: the reply goes straight out
  advance(std::chrono::seconds(31));
  sent();
  receive(ip_frame(echo_request(8)));
  auto frames = sent();
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_TRUE(arp_of(frames[0]));  // aged out: resolve again
}

TEST_F(StackArp, DefendsItsAddressAndNeverLearnsAnImpostor) {
  advance(std::chrono::seconds(5));
  sent();
  const MacAddr impostor{{2, 0, 0, 0, 0, 0x66}};
  receive(arp_frame(wire::ArpOp::reply, impostor, kStackIp, MacAddr{}, kStackIp));
  auto frames = sent();
  ASSERT_EQ(frames.size(), 1u);  // RFC 5227 §2.4 (b): one defending announcement
  EXPECT_EQ(arp_of(frames[0])->sender_mac, kStackMac);
  receive(arp_frame(wire::ArpOp::reply, impostor, kStackIp, MacAddr{}, kStackIp));
  EXPECT_TRUE(sent().empty());  // at most once per DEFEND_INTERVAL
  EXPECT_EQ(count(Counter::arp_address_conflict), 2u);
}

TEST_F(StackArp, DropsMalformedPackets) {
  sent();
  auto truncated = arp_frame(wire::ArpOp::request, kPeerMac, kPeerIp, MacAddr{}, kStackIp);
  truncated.resize(14 + 20);
  receive(truncated);
  auto rarp = arp_frame(wire::ArpOp::request, kPeerMac, kPeerIp, MacAddr{}, kStackIp);
  rarp[14 + 7] = std::byte{3};
  receive(rarp);
  receive(arp_frame(wire::ArpOp::request, MacAddr::broadcast(), kPeerIp, MacAddr{}, kStackIp));
  EXPECT_TRUE(sent().empty());
  EXPECT_EQ(count(Counter::arp_drop_truncated), 1u);
  EXPECT_EQ(count(Counter::arp_drop_unsupported), 1u);
  EXPECT_EQ(count(Counter::arp_drop_bad_sender), 1u);
}

}  // namespace
}  // namespace tapstack::test
