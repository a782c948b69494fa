#include "tapdev/virtio_net_header.hpp"

#include <gtest/gtest.h>

#include <array>
#include <vector>

namespace tapstack::tapdev {
namespace {

std::vector<std::byte> bytes(std::initializer_list<int> values) {
  std::vector<std::byte> out;
  for (const int v : values) out.push_back(static_cast<std::byte>(v));
  return out;
}

// A frame as the stack builds it: Ethernet (14), IPv4 (20), TCP with timestamps (32), payload.
PacketBuffer tcp_frame(BufferPool& pool, std::size_t payload) {
  auto buffer = pool.acquire(128);
  EXPECT_TRUE(buffer);
  auto data = buffer->append(20 + 32 + payload);
  std::fill(data.begin(), data.end(), std::byte{0});
  data[20 + 12] = std::byte{0x80};  // TCP data offset 8 words
  return std::move(*buffer);
}

TEST(VirtioNetHeader, FieldsAreLittleEndianInLinuxOrder) {
  const VirtioNetHeader header{.flags = VirtioNetHeader::kNeedsChecksum,
                               .gso_type = VirtioNetHeader::kGsoTcpV4,
                               .header_length = 66,
                               .gso_size = 1448,
                               .checksum_start = 34,
                               .checksum_offset = 16};
  std::array<std::byte, VirtioNetHeader::kSize> out{};
  header.emit(out);
  EXPECT_EQ(std::vector<std::byte>(out.begin(), out.end()),
            bytes({0x01, 0x01, 0x42, 0x00, 0xa8, 0x05, 0x22, 0x00, 0x10, 0x00}));
  const VirtioNetHeader parsed = VirtioNetHeader::parse(out);
  EXPECT_EQ(parsed.gso_size, 1448);
  EXPECT_EQ(parsed.header_length, 66);
  EXPECT_EQ(parsed.checksum_start, 34);
  EXPECT_TRUE(parsed.is_gso());
  EXPECT_TRUE(parsed.checksum_trusted());
}

TEST(VirtioNetHeader, DataValidIsTrustedAndEcnAloneIsNoGso) {
  const auto valid = VirtioNetHeader::parse(bytes({0x02, 0x80, 0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_TRUE(valid.checksum_trusted());
  EXPECT_FALSE(valid.is_gso());
  const auto plain = VirtioNetHeader::parse(bytes({0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_FALSE(plain.checksum_trusted());
}

// What Linux's virtio_net_hdr_from_skb() writes for a UDP_SEGMENT send of 1000-byte datagrams:
// NEEDS_CSUM from the UDP header (34 + 6), gso_type UDP_L4 (5), headers of 42 bytes.
TEST(VirtioNetHeader, UdpSegmentationReachesTheStackWithItsSegmentSize) {
  const auto header =
      VirtioNetHeader::parse(bytes({0x01, 0x05, 0x2a, 0x00, 0xe8, 0x03, 0x22, 0x00, 0x06, 0x00}));
  EXPECT_EQ(header.gso_type, VirtioNetHeader::kGsoUdpL4);
  EXPECT_TRUE(header.is_gso());
  const ReceiveOffload offload = header.receive_offload();
  EXPECT_TRUE(offload.checksum_trusted);
  EXPECT_EQ(offload.gso, ReceiveGso::udp);
  EXPECT_EQ(offload.gso_size, 1000);
}

TEST(VirtioNetHeader, TcpSegmentationStaysTcpAndOtherKindsAreNone) {
  const auto tso = VirtioNetHeader::parse(bytes({0x01, 0x81, 66, 0, 0xa8, 0x05, 34, 0, 16, 0}));
  EXPECT_EQ(tso.receive_offload().gso, ReceiveGso::tcp);  // ECN flag set: still TCP
  EXPECT_EQ(tso.receive_offload().gso_size, 1448);
  const auto tcp6 = VirtioNetHeader::parse(bytes({0x01, 0x04, 74, 0, 0xa0, 0x05, 54, 0, 16, 0}));
  EXPECT_EQ(tcp6.receive_offload().gso, ReceiveGso::none);
  EXPECT_EQ(tcp6.receive_offload().gso_size, 0);
  const auto plain = VirtioNetHeader::parse(bytes({0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_FALSE(plain.receive_offload().checksum_trusted);
  EXPECT_EQ(plain.receive_offload().gso, ReceiveGso::none);
}

TEST(VirtioNetHeader, AFrameWithNothingLeftGetsAnEmptyHeader) {
  BufferPool pool(1, 2048);
  PacketBuffer frame = tcp_frame(pool, 100);
  frame.prepend(14);
  const auto header = VirtioNetHeader::for_frame(frame);
  ASSERT_TRUE(header);
  EXPECT_EQ(header->flags, 0);
  EXPECT_FALSE(header->is_gso());
}

TEST(VirtioNetHeader, PartialChecksumAndTsoPositionsCountFromTheEthernetHeader) {
  BufferPool pool(1, 70000);
  PacketBuffer frame = tcp_frame(pool, 10 * 1448);
  frame.mark_checksum_partial(20, 16);  // marked by the IP layer: TCP after 20 bytes of IPv4
  frame.set_gso_size(1448);
  frame.prepend(14);  // then the Ethernet header goes in front
  const auto header = VirtioNetHeader::for_frame(frame);
  ASSERT_TRUE(header);
  EXPECT_EQ(header->flags, VirtioNetHeader::kNeedsChecksum);
  EXPECT_EQ(header->checksum_start, 34);
  EXPECT_EQ(header->checksum_offset, 16);
  EXPECT_EQ(header->gso_type, VirtioNetHeader::kGsoTcpV4);
  EXPECT_EQ(header->gso_size, 1448);
  EXPECT_EQ(header->header_length, 14 + 20 + 32);
}

TEST(VirtioNetHeader, OffloadWorkBeyondTheFrameIsRefused) {
  BufferPool pool(1, 2048);
  auto buffer = pool.acquire(128);
  ASSERT_TRUE(buffer);
  buffer->append(10);
  buffer->mark_checksum_partial(0, 16);  // the field would lie past the end
  EXPECT_FALSE(VirtioNetHeader::for_frame(*buffer));
}

}  // namespace
}  // namespace tapstack::tapdev
