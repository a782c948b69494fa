#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "stack/wire/arp.hpp"
#include "stack/wire/checksum.hpp"
#include "stack/wire/ethernet.hpp"
#include "stack/wire/icmp.hpp"
#include "stack/wire/ipv4.hpp"
#include "support/hex.hpp"
#include "unit/stack/wire/fixtures.hpp"

namespace tapstack::wire {
namespace {

using test::hex;
namespace fx = test::fixtures;

const MacAddr kMac1{{2, 0, 0, 0, 0, 1}};
const MacAddr kMac2{{2, 0, 0, 0, 0, 2}};

TEST(Ethernet, ParsesCapturedFrame) {
  const auto frame = hex(fx::kArpRequest);
  const auto eth = EthernetHeader::parse(frame);
  ASSERT_TRUE(eth);
  EXPECT_TRUE(eth->destination.is_broadcast());
  EXPECT_EQ(eth->source, kMac1);
  EXPECT_EQ(eth->ethertype, 0x0806);
}

TEST(Ethernet, EmitsExactBytesAndRejectsRunts) {
  std::array<std::byte, EthernetHeader::kSize> out{};
  EthernetHeader{kMac1, kMac2, 0x0800}.emit(out);
  EXPECT_EQ(std::vector<std::byte>(out.begin(), out.end()), hex("020000000001 020000000002 0800"));
  EXPECT_FALSE(EthernetHeader::parse(hex("02000000000102000000000208")));
}

TEST(Arp, ParsesCapturedRequestAndReply) {
  const auto request = hex(fx::kArpRequest);
  const auto arp = ArpPacket::parse(Bytes{request}.subspan(14));
  ASSERT_TRUE(arp);
  EXPECT_EQ(arp->operation, ArpOp::request);
  EXPECT_EQ(arp->sender_mac, kMac1);
  EXPECT_EQ(arp->sender_ip, Ipv4Addr(10, 0, 0, 1));
  EXPECT_TRUE(arp->target_mac.is_zero());
  EXPECT_EQ(arp->target_ip, Ipv4Addr(10, 0, 0, 2));
}

TEST(Arp, EmitsTheKernelsReplyByteForByte) {
  const auto reply = hex(fx::kArpReply);
  std::array<std::byte, ArpPacket::kSize> out{};
  ArpPacket{ArpOp::reply, kMac2, Ipv4Addr(10, 0, 0, 2), kMac1, Ipv4Addr(10, 0, 0, 1)}.emit(out);
  EXPECT_TRUE(std::equal(out.begin(), out.end(), reply.begin() + 14));
}

TEST(Arp, RejectsTruncatedAndUnsupported) {
  const auto request = hex(fx::kArpRequest);
  EXPECT_EQ(ArpPacket::parse(Bytes{request}.subspan(14, 27)).error(), ArpError::truncated);
  auto bad_hw = request;
  bad_hw[15] = std::byte{6};  // hardware type 6 (IEEE 802)
  EXPECT_EQ(ArpPacket::parse(Bytes{bad_hw}.subspan(14)).error(), ArpError::unsupported);
  auto bad_op = request;
  bad_op[21] = std::byte{3};  // RARP request
  EXPECT_EQ(ArpPacket::parse(Bytes{bad_op}.subspan(14)).error(), ArpError::unsupported);
}

TEST(Checksum, MatchesRfc1071Example) {
  // RFC 1071 §3 example: words 0001 f203 f4f5 f6f7 sum to ddf2 (checksum 220d).
  EXPECT_EQ(internet_checksum(hex("0001f203f4f5f6f7")), 0x220d);
  // Odd length: the last byte is padded on the right.
  EXPECT_EQ(internet_checksum(hex("01")), 0xfeff);
}

TEST(Checksum, OddChunksSumLikeTheirConcatenation) {
  const auto whole = hex("0001f203f4f5f6f7ab");
  for (std::size_t split = 0; split <= whole.size(); ++split) {
    Checksum c;
    c.add(Bytes{whole}.first(split));
    c.add(Bytes{whole}.subspan(split));
    EXPECT_EQ(c.finish(), internet_checksum(whole)) << split;
  }
}

// The 8-bytes-at-a-time sum against the definition (RFC 1071: 16-bit big-endian words, the
// odd byte padded on the right, end-around carry), for every length and split up to 40 bytes
// and for long runs of 0xff that carry at every step.
TEST(Checksum, WideSumsMatchTheDefinition) {
  const auto reference = [](Bytes data) {
    std::uint32_t sum = 0;
    for (std::size_t i = 0; i < data.size(); i += 2) {
      sum += static_cast<std::uint32_t>(load8(data, i)) << 8;
      if (i + 1 < data.size()) sum += load8(data, i + 1);
      sum = (sum & 0xffff) + (sum >> 16);
    }
    return static_cast<std::uint16_t>(~sum & 0xffff);
  };
  std::vector<std::byte> data(40);
  std::uint32_t state = 7;
  for (std::byte& b : data) {
    state = state * 1103515245 + 12345;
    b = static_cast<std::byte>(state >> 24);
  }
  for (std::size_t length = 0; length <= data.size(); ++length) {
    const Bytes bytes = Bytes{data}.first(length);
    for (std::size_t split = 0; split <= length; ++split) {
      Checksum c;
      c.add(bytes.first(split));
      c.add(bytes.subspan(split));
      ASSERT_EQ(c.finish(), reference(bytes)) << length << " split " << split;
    }
  }
  const std::vector<std::byte> ones(65535, std::byte{0xff});
  EXPECT_EQ(internet_checksum(ones), reference(ones));
}

TEST(Ipv4, ParsesCapturedEchoRequest) {
  const auto frame = hex(fx::kEchoRequest);
  const auto ip = Ipv4View::check(Bytes{frame}.subspan(14));
  ASSERT_TRUE(ip);
  EXPECT_EQ(ip->header_length(), 20u);
  EXPECT_EQ(ip->total_length(), 44);
  EXPECT_EQ(ip->id(), 0x55d4);
  EXPECT_TRUE(ip->dont_fragment());
  EXPECT_FALSE(ip->is_fragment());
  EXPECT_EQ(ip->ttl(), 64);
  EXPECT_EQ(ip->protocol(), 1);
  EXPECT_EQ(ip->source(), Ipv4Addr(10, 0, 0, 1));
  EXPECT_EQ(ip->destination(), Ipv4Addr(10, 0, 0, 2));
  EXPECT_EQ(ip->payload().size(), 24u);
}

TEST(Ipv4, EmitsTheCapturedHeaderByteForByte) {
  const auto frame = hex(fx::kEchoRequest);
  Ipv4Header h;
  h.total_length = 44;
  h.id = 0x55d4;
  h.dont_fragment = true;
  h.ttl = 64;
  h.protocol = 1;
  h.source = Ipv4Addr(10, 0, 0, 1);
  h.destination = Ipv4Addr(10, 0, 0, 2);
  std::array<std::byte, Ipv4Header::kSize> out{};
  h.emit(out);
  EXPECT_TRUE(std::equal(out.begin(), out.end(), frame.begin() + 14));
}

TEST(Ipv4, EmitsFragmentFields) {
  Ipv4Header h;
  h.more_fragments = true;
  h.fragment_offset = 1480;
  std::array<std::byte, Ipv4Header::kSize> out{};
  h.emit(out);
  EXPECT_EQ(load16(out, 6), 0x2000 | (1480 / 8));
}

// Each receive check of RFC 1122 §3.2.1 on a copy of the captured packet.
TEST(Ipv4, RejectsEachMalformation) {
  const auto frame = hex(fx::kEchoRequest);
  const std::vector<std::byte> good(frame.begin() + 14, frame.end());
  auto check = [](std::vector<std::byte> p) { return Ipv4View::check(p).error(); };

  EXPECT_EQ(check({good.begin(), good.begin() + 19}), Ipv4Error::truncated);
  auto v6 = good;
  v6[0] = std::byte{0x65};
  EXPECT_EQ(check(v6), Ipv4Error::bad_version);
  auto ihl4 = good;
  ihl4[0] = std::byte{0x44};
  EXPECT_EQ(check(ihl4), Ipv4Error::bad_ihl);
  auto ihl_past_end = good;
  ihl_past_end[0] = std::byte{0x4f};  // 60-byte header in a 44-byte packet
  EXPECT_EQ(check(ihl_past_end), Ipv4Error::truncated);
  auto too_long = good;
  too_long[3] = std::byte{45};  // claims one byte more than arrived
  EXPECT_EQ(check(too_long), Ipv4Error::bad_total_length);
  auto too_short = good;
  too_short[3] = std::byte{19};  // shorter than its own header
  EXPECT_EQ(check(too_short), Ipv4Error::bad_total_length);
  auto bad_sum = good;
  bad_sum[11] ^= std::byte{1};
  EXPECT_EQ(check(bad_sum), Ipv4Error::bad_checksum);
}

// The captured echo request with `options` (a multiple of 4 bytes) inserted after its header,
// IHL, total length and checksum fixed up.
std::vector<std::byte> echo_with_options(std::initializer_list<std::uint8_t> options) {
  const auto frame = hex(fx::kEchoRequest);
  std::vector<std::byte> p(frame.begin() + 14, frame.begin() + 14 + 20);
  for (const std::uint8_t b : options) p.push_back(std::byte{b});
  p.insert(p.end(), frame.begin() + 14 + 20, frame.end());
  store8(p, 0, static_cast<std::uint8_t>(0x40 | (20 + options.size()) / 4));
  store16(p, 2, static_cast<std::uint16_t>(p.size()));
  store16(p, 10, 0);
  store16(p, 10, internet_checksum(Bytes{p}.first(20 + options.size())));
  return p;
}

// RFC 791 §3.1: the option format is checked, the options themselves are not interpreted.
TEST(Ipv4, ChecksOptionLengths) {
  auto check = [](std::vector<std::byte> p) { return Ipv4View::check(p); };
  EXPECT_TRUE(check(echo_with_options({7, 7, 4, 0, 0, 0, 0, 0})));  // record route, one slot
  EXPECT_TRUE(check(echo_with_options({1, 1, 68, 4, 5, 0, 0, 0, 0, 0, 0, 0})));  // NOPs, ts
  EXPECT_TRUE(check(echo_with_options({0, 99, 0, 0})));  // after End of List nothing counts
  EXPECT_TRUE(check(echo_with_options({130, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})));  // unknown
  EXPECT_EQ(check(echo_with_options({7, 0, 4, 0})).error(), Ipv4Error::bad_options);
  EXPECT_EQ(check(echo_with_options({7, 1, 4, 0})).error(), Ipv4Error::bad_options);
  EXPECT_EQ(check(echo_with_options({68, 40, 5, 0})).error(), Ipv4Error::bad_options);
  EXPECT_EQ(check(echo_with_options({1, 1, 1, 7})).error(), Ipv4Error::bad_options);  // no length
}

TEST(Ipv4, ExcludesEthernetPadding) {
  auto frame = hex(fx::kEchoRequest);
  frame.resize(frame.size() + 10);  // trailing padding after the datagram
  const auto ip = Ipv4View::check(Bytes{frame}.subspan(14));
  ASSERT_TRUE(ip);
  EXPECT_EQ(ip->packet().size(), 44u);
}

TEST(Icmp, ParsesAndVerifiesCapturedEcho) {
  const auto frame = hex(fx::kEchoRequest);
  const Bytes icmp = Bytes{frame}.subspan(34);
  const auto h = IcmpHeader::parse(icmp);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->type, 8);
  EXPECT_EQ(h->code, 0);
  EXPECT_EQ(h->rest, 0x17c70001u);
  EXPECT_TRUE(IcmpHeader::checksum_ok(icmp));
  auto corrupted = std::vector<std::byte>(icmp.begin(), icmp.end());
  corrupted.back() ^= std::byte{0x80};
  EXPECT_FALSE(IcmpHeader::checksum_ok(corrupted));
  EXPECT_FALSE(IcmpHeader::parse(icmp.first(7)));
}

TEST(Icmp, EmitsTheCapturedChecksum) {
  const auto frame = hex(fx::kEchoRequest);
  const Bytes data = Bytes{frame}.subspan(42);
  std::array<std::byte, IcmpHeader::kSize> out{};
  IcmpHeader{8, 0, 0x17c70001}.emit(out, std::span{&data, 1});
  EXPECT_TRUE(std::equal(out.begin(), out.end(), frame.begin() + 34));
}

TEST(Icmp, ClassifiesErrors) {
  EXPECT_TRUE(is_icmp_error(3));
  EXPECT_TRUE(is_icmp_error(11));
  EXPECT_FALSE(is_icmp_error(0));
  EXPECT_FALSE(is_icmp_error(8));
}

}  // namespace
}  // namespace tapstack::wire
