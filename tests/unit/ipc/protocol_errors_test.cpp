// A client that breaks the protocol is closed, with a logged reason naming its pid, while every
// other client keeps working (ipc/PROTOCOL.md §1.2, §1.3).
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "ipc/codec.hpp"
#include "ipc_harness.hpp"
#include "stack/wire/bytes.hpp"

namespace tapstack::ipc {
namespace {

using testing::IpcHarness;

UniqueFd raw_connect(const std::string& path) {
  UniqueFd fd{::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)};
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  EXPECT_EQ(::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)), 0);
  return fd;
}

// Runs turns until the server has closed `fd` (recv sees EOF); replies before that are skipped.
bool closed_by_server(IpcHarness& h, int fd) {
  return h.run_until([&] {
    std::byte buffer[kMaxMessageSize + 1];
    const ssize_t n = ::recv(fd, buffer, sizeof(buffer), MSG_DONTWAIT);
    return n == 0;
  });
}

bool logged(const IpcHarness& h, std::string_view reason) {
  const std::string pid = "pid=" + std::to_string(::getpid());
  for (const auto& line : h.warnings()) {
    if (line.find(reason) != std::string::npos && line.find(pid) != std::string::npos) return true;
  }
  return false;
}

void send_packet(int fd, std::span<const std::byte> bytes) {
  ASSERT_EQ(::send(fd, bytes.data(), bytes.size(), 0), static_cast<ssize_t>(bytes.size()));
}

// Runs one bad client beside a good one with a connected socket; the good one must keep working.
template <typename Misbehave>
void expect_only_the_offender_closed(Misbehave misbehave, std::string_view reason) {
  IpcHarness h;
  auto good = h.client();
  const auto socket = good->socket(SocketKind::tcp);
  ASSERT_TRUE(socket.has_value());
  UniqueFd bad = raw_connect(h.path());
  misbehave(bad.get());
  EXPECT_TRUE(closed_by_server(h, bad.get()));
  EXPECT_TRUE(logged(h, reason)) << reason;
  EXPECT_EQ(h.server().stats().clients_dropped, 1u);
  EXPECT_TRUE(good->take_error(*socket).has_value());
  EXPECT_EQ(h.server().client_count(), 1u);
  ::close(socket->fd);
}

TEST(IpcProtocolErrors, GarbageClosesOnlyThatClient) {
  expect_only_the_offender_closed(
      [](int fd) {
        const std::string garbage = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
        send_packet(fd, as_bytes(std::span{garbage}));
      },
      "bad magic");
}

TEST(IpcProtocolErrors, OversizeMessageClosesOnlyThatClient) {
  expect_only_the_offender_closed(
      [](int fd) {
        std::vector<std::byte> big(kMaxMessageSize + 100);
        const auto hello = encode(Message{1, false, Hello{}});
        std::copy(hello.begin(), hello.end(), big.begin());
        wire::store32(big, 16, static_cast<std::uint32_t>(big.size() - kHeaderSize));
        int size = 1 << 20;
        ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
        send_packet(fd, big);
      },
      "oversize message");
}

TEST(IpcProtocolErrors, RequestBeforeHelloClosesTheClient) {
  expect_only_the_offender_closed(
      [](int fd) {
        send_packet(fd, encode(Message{1, false, SocketRequest{}}));
      },
      "request before hello");
}

TEST(IpcProtocolErrors, UnknownVersionInHeaderClosesTheClient) {
  expect_only_the_offender_closed(
      [](int fd) {
        auto bytes = encode(Message{1, false, Hello{}});
        wire::store16(bytes, 4, 7);
        send_packet(fd, bytes);
      },
      "unknown protocol version");
}

TEST(IpcProtocolErrors, MissingFdClosesTheClient) {
  expect_only_the_offender_closed(
      [](int fd) {
        send_packet(fd, encode(Message{1, false, Hello{}}));
        // has_fd set, but no fd attached.
        send_packet(fd, encode(Message{2, true, SocketQuery{MessageType::get_error, 1}}));
      },
      "fd missing");
}

TEST(IpcProtocolErrors, UnsupportedVersionRangeIsAnsweredThenClosed) {
  IpcHarness h;
  UniqueFd fd = raw_connect(h.path());
  send_packet(fd.get(), encode(Message{5, false, Hello{2, 3}}));
  std::vector<std::byte> buffer(kMaxMessageSize);
  ssize_t n = -1;
  ASSERT_TRUE(h.run_until([&] {
    n = ::recv(fd.get(), buffer.data(), buffer.size(), MSG_DONTWAIT);
    return n > 0;
  }));
  const auto reply = decode(std::span{buffer}.first(static_cast<std::size_t>(n)));
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->request_id, 5u);
  EXPECT_EQ(std::get<Reply>(reply->body).error, static_cast<std::uint32_t>(EPROTONOSUPPORT));
  EXPECT_TRUE(closed_by_server(h, fd.get()));
  EXPECT_TRUE(logged(h, "unsupported protocol version"));
}

TEST(IpcProtocolErrors, DaemonGoneGivesAnErrorNotAHang) {
  std::string path;
  {
    IpcHarness h;
    path = h.path();
  }
  const auto client = Client::connect(path);
  ASSERT_FALSE(client.has_value());
  EXPECT_TRUE(client.error() == ENOENT || client.error() == ECONNREFUSED) << client.error();
}

}  // namespace
}  // namespace tapstack::ipc

namespace tapstack::ipc {
namespace {

TEST(IpcProtocolErrors, StopRemovesTheSocketFile) {
  std::string path;
  {
    IpcHarness h;
    path = h.path();
    EXPECT_TRUE(std::filesystem::exists(path));
    h.server().stop(h.sim().now());
    EXPECT_FALSE(std::filesystem::exists(path));
  }
}

}  // namespace
}  // namespace tapstack::ipc
