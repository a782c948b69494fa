#include "stack/wire/udp.hpp"

#include <gtest/gtest.h>

#include <array>
#include <string_view>
#include <vector>

#include "support/hex.hpp"
#include "unit/stack/wire/tcp_fixtures.hpp"

namespace tapstack::wire {
namespace {

using test::hex;
namespace fx = test::fixtures;

const Ipv4Addr kClient(10, 9, 0, 1);
const Ipv4Addr kServer(10, 9, 0, 2);

std::vector<std::byte> captured_datagram() {
  const auto frame = hex(fx::kUdpDatagram);
  return {frame.begin() + 34, frame.end()};  // after Ethernet 14 + IPv4 20
}

TEST(Udp, ParsesCapturedDatagram) {
  const auto datagram = captured_datagram();
  const auto udp = UdpView::check(datagram, kClient, kServer);
  ASSERT_TRUE(udp);
  EXPECT_EQ(udp->source_port(), 50199);
  EXPECT_EQ(udp->destination_port(), 9999);
  EXPECT_EQ(udp->length(), 21);
  const std::string_view text = "tapstack udp\n";
  ASSERT_EQ(udp->payload().size(), text.size());
  EXPECT_TRUE(std::equal(text.begin(), text.end(), udp->payload().begin(),
                         [](char c, std::byte b) { return static_cast<std::byte>(c) == b; }));
}

TEST(Udp, ReemitsTheCapturedHeaderByteForByte) {
  const auto datagram = captured_datagram();
  const Bytes payload = Bytes{datagram}.subspan(UdpHeader::kSize);  // 13 bytes: odd
  std::array<std::byte, UdpHeader::kSize> out{};
  UdpHeader{50199, 9999}.emit(out, kClient, kServer, std::span{&payload, 1});
  EXPECT_TRUE(std::equal(out.begin(), out.end(), datagram.begin()));  // checksum 0xb501
}

TEST(Udp, VerifiesTheChecksumAgainstThePseudoHeader) {
  auto datagram = captured_datagram();
  // Another destination address changes the pseudo-header sum.
  EXPECT_EQ(UdpView::check(datagram, kClient, Ipv4Addr(10, 9, 0, 3)).error(),
            UdpError::bad_checksum);
  datagram.back() ^= std::byte{0x01};
  EXPECT_EQ(UdpView::check(datagram, kClient, kServer).error(), UdpError::bad_checksum);
}

// RFC 768: a zero checksum field means the sender computed none, so nothing is verified.
TEST(Udp, AcceptsZeroChecksum) {
  auto datagram = captured_datagram();
  datagram[6] = std::byte{0};
  datagram[7] = std::byte{0};
  datagram.back() ^= std::byte{0x01};  // would fail any checksum
  EXPECT_TRUE(UdpView::check(datagram, kClient, kServer));
}

TEST(Udp, SendsAComputedZeroChecksumAsAllOnes) {
  // Pseudo-header 0.0.0.0 -> 0.0.0.0, protocol 0x11, length 0x0a; header ports 0, length 0x0a;
  // payload word 0xffda. Sum 0x11 + 0x0a + 0x0a + 0xffda = 0xffff, whose complement is 0.
  const auto payload = hex("ffda");
  const Bytes part{payload};
  std::array<std::byte, UdpHeader::kSize> out{};
  UdpHeader{0, 0}.emit(out, Ipv4Addr{}, Ipv4Addr{}, std::span{&part, 1});
  EXPECT_EQ(load16(out, 4), 10);
  EXPECT_EQ(load16(out, 6), 0xffff);

  std::vector<std::byte> datagram(out.begin(), out.end());
  datagram.insert(datagram.end(), payload.begin(), payload.end());
  EXPECT_TRUE(UdpView::check(datagram, Ipv4Addr{}, Ipv4Addr{}));  // 0xffff verifies too
}

TEST(Udp, ChecksLengthAgainstTheAvailableBytes) {
  const auto good = captured_datagram();
  auto check = [](const std::vector<std::byte>& d) {
    return UdpView::check(d, kClient, kServer).error();
  };
  EXPECT_EQ(check({good.begin(), good.begin() + 7}), UdpError::truncated);
  auto too_long = good;
  too_long[5] = std::byte{22};  // one byte more than arrived
  EXPECT_EQ(check(too_long), UdpError::bad_length);
  auto too_short = good;
  too_short[5] = std::byte{7};  // shorter than the header itself
  EXPECT_EQ(check(too_short), UdpError::bad_length);

  // Bytes after the length (IPv4 said more than UDP did) are not part of the datagram.
  auto padded = good;
  padded.resize(padded.size() + 3);
  const auto udp = UdpView::check(padded, kClient, kServer);
  ASSERT_TRUE(udp);
  EXPECT_EQ(udp->datagram().size(), 21u);
  EXPECT_EQ(udp->payload().size(), 13u);
}

}  // namespace
}  // namespace tapstack::wire
