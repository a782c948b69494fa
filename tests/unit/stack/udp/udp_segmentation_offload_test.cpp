// UDP segmentation offload on receive (USO, issue 7): with TUN_F_USO4|6 the host may hand the
// stack one UDP "super-datagram" (virtio-net gso_type UDP_L4) whose IP and UDP lengths cover
// the payloads of several datagrams, gso_size bytes each, the last one possibly shorter, and
// whose checksum is partial (NEEDS_CSUM). It is delivered as those datagrams, like Linux's
// udp_rcv_segment(). A GSO type that does not fit the transport, or no segment size, drops it.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <vector>

#include "stack/tcp/tcp_layer.hpp"
#include "stack/udp/udp_layer.hpp"
#include "stack/wire/bytes.hpp"
#include "stack/wire/tcp.hpp"
#include "tests/unit/stack/stack_fixture.hpp"

namespace tapstack::test {
namespace {

constexpr std::uint16_t kPeerPort = 40000;
constexpr std::uint16_t kPort = 5000;
constexpr std::uint16_t kSegmentSize = 1000;
constexpr std::size_t kPayloadSize = 3500;  // three whole segments and a 500-byte tail

constexpr ReceiveOffload uso(std::uint16_t gso_size) {
  return ReceiveOffload{.checksum_trusted = true, .gso = ReceiveGso::udp, .gso_size = gso_size};
}

class UdpSegmentationOffload : public StackTest {
 protected:
  UdpSegmentationOffload() : payload_(pattern(kPayloadSize)) {
    learn_peer();
    const auto socket = stack_.udp().open({});
    EXPECT_TRUE(socket);
    socket_ = *socket;
    EXPECT_TRUE(stack_.udp().bind(socket_, {Ipv4Addr::any(), kPort}));
  }

  // The frame the kernel hands a TAP for a UDP_SEGMENT send of payload_: one UDP header whose
  // length covers the whole payload, and a checksum field holding only the pseudo-header sum
  // (here an arbitrary value: with NEEDS_CSUM nobody checks it). `udp_length` 0: the right one.
  Frame super_datagram(std::uint8_t protocol = 17, std::uint16_t udp_length = 0) {
    Frame udp(wire::UdpView::kHeaderSize + payload_.size());
    wire::store16(udp, 0, kPeerPort);
    wire::store16(udp, 2, kPort);
    wire::store16(udp, 4, udp_length != 0 ? udp_length : static_cast<std::uint16_t>(udp.size()));
    wire::store16(udp, 6, 0x5a5a);
    std::ranges::copy(payload_, udp.begin() + wire::UdpView::kHeaderSize);
    return ip_frame(ipv4_packet(ip_header(kPeerIp, kStackIp, protocol), udp));
  }

  // Every datagram waiting on the socket, in order.
  std::vector<std::vector<std::byte>> received() {
    std::vector<std::vector<std::byte>> datagrams;
    std::array<std::byte, 65536> buffer{};
    while (const auto got = stack_.udp().receive(socket_, buffer, false)) {
      EXPECT_EQ(got->source, (SocketAddress{kPeerIp, kPeerPort}));
      EXPECT_EQ(got->size, got->datagram_size);
      datagrams.emplace_back(buffer.begin(), buffer.begin() + got->size);
    }
    return datagrams;
  }

  std::vector<std::byte> payload_slice(std::size_t offset, std::size_t size) const {
    return {payload_.begin() + offset, payload_.begin() + offset + size};
  }

  std::vector<std::byte> payload_;
  SocketHandle socket_{};
};

TEST_F(UdpSegmentationOffload, ASuperDatagramArrivesAsItsSegments) {
  stack_.receive(id_, super_datagram(), now_, uso(kSegmentSize));
  const auto datagrams = received();
  ASSERT_EQ(datagrams.size(), 4U);
  EXPECT_EQ(datagrams[0], payload_slice(0, 1000));
  EXPECT_EQ(datagrams[1], payload_slice(1000, 1000));
  EXPECT_EQ(datagrams[2], payload_slice(2000, 1000));
  EXPECT_EQ(datagrams[3], payload_slice(3000, 500));
  EXPECT_EQ(count(Counter::udp_rx_datagrams), 4U);
  EXPECT_EQ(count(Counter::udp_rx_gso_segments), 4U);
  EXPECT_EQ(count(Counter::ipv4_rx_checksum_offloaded), 1U);
}

TEST_F(UdpSegmentationOffload, ASegmentSizeDividingThePayloadLeavesNoShortTail) {
  stack_.receive(id_, super_datagram(), now_, uso(700));
  const auto datagrams = received();
  ASSERT_EQ(datagrams.size(), 5U);
  for (std::size_t i = 0; i < datagrams.size(); ++i) {
    EXPECT_EQ(datagrams[i], payload_slice(i * 700, 700)) << i;
  }
}

TEST_F(UdpSegmentationOffload, APayloadWithinOneSegmentIsOneDatagram) {
  stack_.receive(id_, super_datagram(), now_, uso(kPayloadSize));
  const auto datagrams = received();
  ASSERT_EQ(datagrams.size(), 1U);
  EXPECT_EQ(datagrams[0], payload_);
  EXPECT_EQ(count(Counter::udp_rx_gso_segments), 1U);
}

TEST_F(UdpSegmentationOffload, WithoutGsoTheSameFrameIsOneDatagram) {
  stack_.receive(id_, super_datagram(), now_, ReceiveOffload{.checksum_trusted = true});
  const auto datagrams = received();
  ASSERT_EQ(datagrams.size(), 1U);
  EXPECT_EQ(datagrams[0], payload_);
  EXPECT_EQ(count(Counter::udp_rx_gso_segments), 0U);
}

TEST_F(UdpSegmentationOffload, NoSegmentSizeIsMalformed) {
  stack_.receive(id_, super_datagram(), now_, uso(0));
  EXPECT_TRUE(received().empty());
  EXPECT_EQ(count(Counter::udp_drop_bad_gso), 1U);
  EXPECT_EQ(count(Counter::udp_rx_datagrams), 0U);
  EXPECT_TRUE(sent().empty());  // dropped, not answered with a port unreachable
}

TEST_F(UdpSegmentationOffload, TcpSegmentationOnAUdpDatagramIsMalformed) {
  const ReceiveOffload tso{.checksum_trusted = true, .gso = ReceiveGso::tcp, .gso_size = 1000};
  stack_.receive(id_, super_datagram(), now_, tso);
  EXPECT_TRUE(received().empty());
  EXPECT_EQ(count(Counter::udp_drop_bad_gso), 1U);
}

TEST_F(UdpSegmentationOffload, AUdpLengthBeyondThePacketIsMalformed) {
  const auto too_long = static_cast<std::uint16_t>(wire::UdpView::kHeaderSize + kPayloadSize + 1);
  stack_.receive(id_, super_datagram(17, too_long), now_, uso(kSegmentSize));
  EXPECT_TRUE(received().empty());
  EXPECT_EQ(count(Counter::udp_drop_bad_length), 1U);
  EXPECT_EQ(count(Counter::udp_rx_gso_segments), 0U);
}

TEST_F(UdpSegmentationOffload, UdpSegmentationOnATcpSegmentIsMalformed) {
  ASSERT_TRUE(stack_.tcp().listen({Ipv4Addr::any(), kPort}, 8, {}));
  const Frame syn =
      ip_frame(ipv4_packet(ip_header(kPeerIp, kStackIp, 6), tcp_syn(kPeerPort, kPort)));
  stack_.receive(id_, syn, now_, uso(kSegmentSize));
  EXPECT_EQ(count(Counter::tcp_drop_bad_gso), 1U);
  EXPECT_TRUE(sent().empty());
  // The same SYN without the device's false word is answered.
  stack_.receive(id_, syn, now_, ReceiveOffload{.checksum_trusted = true});
  EXPECT_EQ(sent().size(), 1U);
}

TEST_F(UdpSegmentationOffload, SegmentsToAPortWithoutSocketGetOneUnreachable) {
  Frame frame = super_datagram();
  wire::store16(frame, 14 + 20 + 2, kPort + 1);
  stack_.receive(id_, frame, now_, uso(kSegmentSize));
  EXPECT_EQ(count(Counter::udp_rx_no_port), 1U);
  EXPECT_EQ(count(Counter::icmp_tx_dest_unreachable), 1U);
}

}  // namespace
}  // namespace tapstack::test
