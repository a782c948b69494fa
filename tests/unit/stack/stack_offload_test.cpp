// Checksum offload on receive (issue 7): a frame the device vouches for (virtio-net DATA_VALID
// or NEEDS_CSUM) is taken without checking its TCP or UDP checksum, which for a packet from
// the host's own memory holds only the pseudo-header sum; any other frame is checked as ever.
// Segments larger than the MTU (coalesced by the host) are taken whole.
#include <gtest/gtest.h>

#include "stack/tcp/tcp_layer.hpp"
#include "stack/udp/udp_layer.hpp"
#include "stack/wire/tcp.hpp"
#include "stack/wire/udp.hpp"
#include "tests/unit/stack/stack_fixture.hpp"

namespace tapstack::test {
namespace {

constexpr std::uint16_t kPort = 80;
constexpr ReceiveOffload kTrusted{.checksum_trusted = true};

class StackOffload : public StackTest {
 protected:
  StackOffload() {
    learn_peer();
    EXPECT_TRUE(stack_.tcp().listen({Ipv4Addr::any(), kPort}, 8, {}));
  }

  // A SYN from the peer whose checksum field holds garbage, as a partial checksum would.
  Frame syn_with_wrong_checksum(std::uint16_t source_port) {
    Frame tcp = tcp_syn(source_port, kPort);
    tcp[16] ^= std::byte{0x5a};
    return ip_frame(ipv4_packet(ip_header(kPeerIp, kStackIp, 6), tcp));
  }

  // How many SYN-ACKs the stack sent.
  std::size_t syn_acks() {
    std::size_t n = 0;
    for (const Frame& frame : sent()) {
      if (frame.size() > 14 + 20 + 13 &&
          wire::load8(frame, 14 + 20 + 13) == (wire::TcpFlags::syn | wire::TcpFlags::ack)) {
        ++n;
      }
    }
    return n;
  }
};

TEST_F(StackOffload, AVouchedForSegmentSkipsTheChecksum) {
  stack_.receive(id_, syn_with_wrong_checksum(40000), now_, kTrusted);
  EXPECT_EQ(syn_acks(), 1U);
  EXPECT_EQ(count(Counter::ipv4_rx_checksum_offloaded), 1U);
  EXPECT_EQ(count(Counter::tcp_drop_bad_checksum), 0U);
}

TEST_F(StackOffload, AnyOtherSegmentIsChecked) {
  stack_.receive(id_, syn_with_wrong_checksum(40001), now_);
  EXPECT_EQ(syn_acks(), 0U);
  EXPECT_EQ(count(Counter::tcp_drop_bad_checksum), 1U);
  EXPECT_EQ(count(Counter::ipv4_rx_checksum_offloaded), 0U);
}

TEST_F(StackOffload, AVouchedForUdpDatagramSkipsTheChecksum) {
  const auto socket = stack_.udp().open({});
  ASSERT_TRUE(socket);
  ASSERT_TRUE(stack_.udp().bind(*socket, {Ipv4Addr::any(), 53}));
  const auto data = pattern(100);
  Frame udp(wire::UdpHeader::kSize + data.size());
  const wire::Bytes parts[] = {data};
  wire::UdpHeader{4000, 53}.emit(udp, kPeerIp, kStackIp, parts);
  std::copy(data.begin(), data.end(), udp.begin() + wire::UdpHeader::kSize);
  udp[6] ^= std::byte{0x01};
  const Frame frame = ip_frame(ipv4_packet(ip_header(kPeerIp, kStackIp, 17), udp));
  stack_.receive(id_, frame, now_);
  EXPECT_EQ(count(Counter::udp_drop_bad_checksum), 1U);
  stack_.receive(id_, frame, now_, kTrusted);
  EXPECT_EQ(count(Counter::udp_rx_datagrams), 1U);
}

}  // namespace
}  // namespace tapstack::test
