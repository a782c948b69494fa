// rtnetlink encoding and decoding against byte fixtures: requests compared with what iproute2 6.1
// sends (captured with strace), answers captured from a 6.x kernel. Netlink is host byte order;
// the fixtures are little-endian.
#include "tapdev/netlink_message.hpp"

#include <gtest/gtest.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <bit>
#include <cerrno>
#include <cstdint>
#include <vector>

namespace tapstack::tapdev {
namespace {

std::vector<std::byte> bytes(std::initializer_list<int> values) {
  std::vector<std::byte> out;
  for (int v : values) out.push_back(static_cast<std::byte>(v));
  return out;
}

std::vector<std::byte> to_vector(std::span<const std::byte> span) {
  return {span.begin(), span.end()};
}

class NetlinkMessageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if constexpr (std::endian::native != std::endian::little)
      GTEST_SKIP() << "little-endian fixtures";
  }
};

TEST_F(NetlinkMessageTest, NewAddrRequestMatchesIproute2) {
  // `ip addr replace 10.0.0.1/24 brd + dev tap0` (ifindex 2), seq 7.
  NetlinkRequest request{RTM_NEWADDR, NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE, 7};
  ifaddrmsg header{};
  header.ifa_family = AF_INET;
  header.ifa_prefixlen = 24;
  header.ifa_scope = RT_SCOPE_UNIVERSE;
  header.ifa_index = 2;
  request.append_header(header);
  request.add_ipv4(IFA_LOCAL, Ipv4Addr{10, 0, 0, 1});
  request.add_ipv4(IFA_ADDRESS, Ipv4Addr{10, 0, 0, 1});
  request.add_ipv4(IFA_BROADCAST, Ipv4Addr{10, 0, 0, 255});
  EXPECT_EQ(to_vector(request.bytes()),
            bytes({
                0x30, 0x00, 0x00, 0x00, 0x14, 0x00, 0x05, 0x05,  // len 48, RTM_NEWADDR,
                                                                 // REQUEST|ACK|REPLACE|CREATE
                0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // seq 7, pid 0
                0x02, 0x18, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,  // AF_INET /24, universe, ifindex 2
                0x08, 0x00, 0x02, 0x00, 0x0a, 0x00, 0x00, 0x01,  // IFA_LOCAL 10.0.0.1
                0x08, 0x00, 0x01, 0x00, 0x0a, 0x00, 0x00, 0x01,  // IFA_ADDRESS 10.0.0.1
                0x08, 0x00, 0x04, 0x00, 0x0a, 0x00, 0x00, 0xff,  // IFA_BROADCAST 10.0.0.255
            }));
}

TEST_F(NetlinkMessageTest, SetMtuRequestMatchesIproute2) {
  // `ip link set dev tap0 mtu 1400` (ifindex 2), seq 9.
  NetlinkRequest request{RTM_NEWLINK, NLM_F_ACK, 9};
  ifinfomsg link{};
  link.ifi_index = 2;
  request.append_header(link);
  request.add_u32(IFLA_MTU, 1400);
  EXPECT_EQ(
      to_vector(request.bytes()),
      bytes({0x28, 0x00, 0x00, 0x00, 0x10, 0x00, 0x05, 0x00,     // len 40, RTM_NEWLINK, REQUEST|ACK
             0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,     // seq 9, pid 0
             0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,     // AF_UNSPEC, type 0, ifindex 2
             0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,     // flags 0, change 0
             0x08, 0x00, 0x04, 0x00, 0x78, 0x05, 0x00, 0x00}));  // IFLA_MTU 1400
}

TEST_F(NetlinkMessageTest, StringAttributeIsTerminatedAndPadded) {
  NetlinkRequest request{RTM_GETLINK, NLM_F_ACK, 1};
  request.add_string(IFLA_IFNAME, "tap0");
  const auto out = to_vector(request.bytes());
  ASSERT_EQ(out.size(), 16u + 12u);  // header, attribute header 4 + "tap0\0" 5, padded to 12
  EXPECT_EQ(std::vector<std::byte>(out.begin() + 16, out.end()),
            bytes({0x09, 0x00, 0x03, 0x00, 't', 'a', 'p', '0', 0x00, 0x00, 0x00, 0x00}));
  EXPECT_EQ(out[0], std::byte{28});
}

TEST_F(NetlinkMessageTest, ErrorAckCarriesErrnoAndExtendedMessage) {
  // The kernel's answer to RTM_NEWLINK IFLA_MTU 70000 on a TAP (NETLINK_EXT_ACK, NETLINK_CAP_ACK).
  const auto datagram = bytes({
      0x48, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x03, 0x07, 0x00, 0x00, 0x00, 0x2e,
      0x30, 0x00, 0x00, 0xea, 0xff, 0xff, 0xff,  // error -22
      0x28, 0x00, 0x00, 0x00, 0x10, 0x00, 0x05, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x24, 0x00, 0x01, 0x00, 'm',  't',  'u',  ' ',  'g',  'r',
      'e',  'a',  't',  'e',  'r',  ' ',  't',  'h',  'a',  'n',  ' ',  'd',  'e',
      'v',  'i',  'c',  'e',  ' ',  'm',  'a',  'x',  'i',  'm',  'u',  'm',  0x00,
  });
  const auto messages = split_messages(datagram);
  ASSERT_TRUE(messages.has_value()) << messages.error();
  ASSERT_EQ(messages->size(), 1u);
  EXPECT_EQ((*messages)[0].header.nlmsg_type, NLMSG_ERROR);
  EXPECT_EQ((*messages)[0].header.nlmsg_seq, 7u);
  const auto ack = parse_ack((*messages)[0]);
  ASSERT_TRUE(ack.has_value()) << ack.error();
  EXPECT_EQ(ack->error, EINVAL);
  EXPECT_EQ(ack->message, "mtu greater than device maximum");
}

TEST_F(NetlinkMessageTest, SuccessAck) {
  const auto datagram = bytes({
      0x24, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x01, 0x08, 0x00,
      0x00, 0x00, 0x2e, 0x30, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // error 0
      0x2c, 0x00, 0x00, 0x00, 0x12, 0x00, 0x05, 0x00, 0x08, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  });
  const auto messages = split_messages(datagram);
  ASSERT_TRUE(messages.has_value());
  ASSERT_EQ(messages->size(), 1u);
  const auto ack = parse_ack((*messages)[0]);
  ASSERT_TRUE(ack.has_value());
  EXPECT_EQ(ack->error, 0);
  EXPECT_TRUE(ack->message.empty());
}

TEST_F(NetlinkMessageTest, LinkIndexFromNewLink) {
  // The start of the kernel's RTM_NEWLINK answer for tap0 (ifindex 2), cut after IFLA_IFNAME
  // with nlmsg_len adjusted to the cut.
  const auto datagram = bytes({
      0x2c, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x2e, 0x30, 0x00,
      0x00, 0x00, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x02, 0x10, 0x00, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x09, 0x00, 0x03, 0x00, 't',  'a',  'p',  '0',  0x00, 0x00, 0x00, 0x00,
  });
  const auto messages = split_messages(datagram);
  ASSERT_TRUE(messages.has_value());
  ASSERT_EQ(messages->size(), 1u);
  const auto index = parse_link_index((*messages)[0]);
  ASSERT_TRUE(index.has_value()) << index.error();
  EXPECT_EQ(*index, 2);
}

TEST_F(NetlinkMessageTest, SplitsSeveralMessagesAndRejectsImpossibleLengths) {
  auto two =
      bytes({0x14, 0x00, 0x00, 0x00, 0x03, 0x00, 0x02, 0x00, 0x01, 0x00, 0x00,
             0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // NLMSG_DONE, 4-byte payload
             0x10, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00,
             0x00, 0x00, 0x00, 0x00, 0x00});  // NLMSG_NOOP, empty
  const auto messages = split_messages(two);
  ASSERT_TRUE(messages.has_value());
  ASSERT_EQ(messages->size(), 2u);
  EXPECT_EQ((*messages)[0].payload.size(), 4u);
  EXPECT_EQ((*messages)[1].header.nlmsg_seq, 2u);

  auto too_long = two;
  too_long[0] = std::byte{0x40};  // longer than the datagram
  EXPECT_FALSE(split_messages(too_long).has_value());
  auto too_short = two;
  too_short[0] = std::byte{0x08};  // shorter than its own header
  EXPECT_FALSE(split_messages(too_short).has_value());
  EXPECT_FALSE(split_messages(std::span{two}.first(10)).has_value());  // truncated header
}

TEST_F(NetlinkMessageTest, TruncatedAnswersAreErrors) {
  NetlinkMessage error{};
  error.header.nlmsg_type = NLMSG_ERROR;
  EXPECT_FALSE(parse_ack(error).has_value());
  NetlinkMessage link{};
  link.header.nlmsg_type = RTM_NEWLINK;
  EXPECT_FALSE(parse_link_index(link).has_value());
  link.header.nlmsg_type = RTM_NEWADDR;
  EXPECT_FALSE(parse_link_index(link).has_value());
}

}  // namespace
}  // namespace tapstack::tapdev
