// The daemon's end of a program's data channel (daemon/ipc/data_channel.hpp): how much it holds
// for the program grows with the TCP receive buffer, never shrinks, and is capped.
#include "daemon/ipc/data_channel.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <vector>

namespace tapstack::daemon::ipc {
namespace {

// Bytes written to the channel before it would block (the program reads nothing).
std::size_t fill(DataChannel& channel) {
  std::vector<std::byte> chunk(65536);
  std::size_t total = 0;
  for (;;) {
    const ssize_t n = ::send(channel.fd(), chunk.data(), chunk.size(), MSG_DONTWAIT);
    if (n <= 0) return total;
    total += static_cast<std::size_t>(n);
  }
}

std::size_t send_buffer(DataChannel& channel) {
  int size = 0;
  socklen_t length = sizeof size;
  EXPECT_EQ(::getsockopt(channel.fd(), SOL_SOCKET, SO_SNDBUF, &size, &length), 0);
  return static_cast<std::size_t>(size);
}

TEST(DataChannel, GrowsToTheReceiveBufferAndHoldsMore) {
  boost::asio::io_context io;
  auto small = make_channel(io, SOCK_STREAM, false);
  auto large = make_channel(io, SOCK_STREAM, false);
  ASSERT_TRUE(small && large);
  DataChannel& grown = large->first;
  const std::size_t before = send_buffer(grown);
  EXPECT_FALSE(grown.grow_send_buffer(before));  // nothing to grow
  ASSERT_TRUE(grown.grow_send_buffer(2 * before));
  const std::size_t after = send_buffer(grown);
  EXPECT_GT(after, before);
  EXPECT_LE(after, 2 * before);
  EXPECT_FALSE(grown.grow_send_buffer(before));  // never shrinks
  EXPECT_EQ(send_buffer(grown), after);
  EXPECT_GT(fill(grown), fill(small->first) + before / 2);
}

TEST(DataChannel, GrowthIsCappedAtFourMebibytes) {
  boost::asio::io_context io;
  auto channel = make_channel(io, SOCK_STREAM, false);
  ASSERT_TRUE(channel);
  channel->first.grow_send_buffer(std::size_t{1} << 30);
  EXPECT_LE(send_buffer(channel->first), std::size_t{4} << 20);
}

}  // namespace
}  // namespace tapstack::daemon::ipc
