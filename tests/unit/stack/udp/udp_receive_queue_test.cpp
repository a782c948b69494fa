// UdpReceiveQueue: datagrams in order with their source, bounded in charged bytes.
#include "stack/udp/udp_receive_queue.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace tapstack {
namespace {

constexpr std::size_t kOverhead = UdpReceiveQueue::kDatagramOverhead;
const SocketAddress kFrom{Ipv4Addr(10, 0, 0, 1), 4000};
const Ipv4Addr kTo(10, 0, 0, 2);
const Ipv4Addr kBroadcast(10, 0, 0, 255);

std::vector<std::byte> bytes(std::size_t n, std::uint8_t fill) {
  return std::vector<std::byte>(n, std::byte{fill});
}

TEST(UdpReceiveQueue, KeepsDatagramsInOrderWithTheirSource) {
  UdpReceiveQueue queue(10000);
  EXPECT_TRUE(queue.push(kFrom, kTo, bytes(3, 1)));
  EXPECT_TRUE(queue.push(SocketAddress{Ipv4Addr(10, 0, 0, 7), 9}, kBroadcast, bytes(5, 2)));
  ASSERT_EQ(queue.size(), 2u);
  EXPECT_EQ(queue.bytes(), 3 + 5 + 2 * kOverhead);
  EXPECT_EQ(queue.front().source, kFrom);
  EXPECT_EQ(queue.front().destination, kTo);
  EXPECT_EQ(queue.front().payload, bytes(3, 1));
  queue.pop();
  EXPECT_EQ(queue.front().source.port, 9);
  EXPECT_EQ(queue.front().destination, kBroadcast);
  EXPECT_EQ(queue.front().payload, bytes(5, 2));
  queue.pop();
  EXPECT_TRUE(queue.empty());
  EXPECT_EQ(queue.bytes(), 0u);
}

TEST(UdpReceiveQueue, DropsWhatDoesNotFitUnderTheLimit) {
  UdpReceiveQueue queue(2 * (100 + kOverhead) + 50);
  EXPECT_TRUE(queue.push(kFrom, kTo, bytes(100, 0)));
  EXPECT_TRUE(queue.push(kFrom, kTo, bytes(100, 0)));
  EXPECT_FALSE(queue.push(kFrom, kTo, bytes(100, 0)));
  EXPECT_FALSE(queue.push(kFrom, kTo, {}));  // 50 bytes left: less than an empty datagram costs
  queue.pop();
  EXPECT_TRUE(queue.push(kFrom, kTo, bytes(100, 0)));
  queue.clear();
  EXPECT_TRUE(queue.empty());
  EXPECT_EQ(queue.bytes(), 0u);
}

// Empty datagrams cost their overhead, so a flood of them is bounded as well.
TEST(UdpReceiveQueue, ChargesEmptyDatagrams) {
  UdpReceiveQueue queue(10 * kOverhead);
  int queued = 0;
  while (queue.push(kFrom, kTo, {})) ++queued;
  EXPECT_EQ(queued, 10);
  EXPECT_EQ(queue.bytes(), 10 * kOverhead);
}

// As Linux admits one datagram past sk_rcvbuf, an empty queue takes a datagram of any size.
TEST(UdpReceiveQueue, AnEmptyQueueTakesADatagramLargerThanTheLimit) {
  UdpReceiveQueue queue(1000);
  EXPECT_TRUE(queue.push(kFrom, kTo, bytes(5000, 0)));
  EXPECT_FALSE(queue.push(kFrom, kTo, {}));
  queue.pop();
  EXPECT_TRUE(queue.push(kFrom, kTo, {}));
}

TEST(UdpReceiveQueue, ANewLimitAppliesToLaterDatagrams) {
  UdpReceiveQueue queue(10 * kOverhead);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(queue.push(kFrom, kTo, {}));
  queue.set_limit(3 * kOverhead);
  EXPECT_EQ(queue.size(), 5u);  // kept
  EXPECT_FALSE(queue.push(kFrom, kTo, {}));
  EXPECT_EQ(queue.limit(), 3 * kOverhead);
}

}  // namespace
}  // namespace tapstack
