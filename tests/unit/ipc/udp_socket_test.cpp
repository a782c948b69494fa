// UDP sockets through the real IpcServer (ipc/PROTOCOL.md §5): datagrams with their header both
// ways over the seqpacket channel, names, options, ECONNREFUSED as an error packet, and the
// last close freeing the stack's socket. Stack B runs a UDP echo.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <optional>
#include <string>

#include "ipc/codec.hpp"
#include "ipc_harness.hpp"

namespace tapstack::ipc {
namespace {

using testing::IpcHarness;

constexpr std::uint16_t kEchoPort = 5300;
constexpr std::uint16_t kClosedPort = 5309;

void send_datagram(int fd, SocketAddress to, std::string_view payload) {
  std::string packet(kDatagramHeaderSize, '\0');
  encode(DatagramHeader{to, 0}, std::as_writable_bytes(std::span{packet}));
  packet += payload;
  ASSERT_EQ(::send(fd, packet.data(), packet.size(), MSG_DONTWAIT),
            static_cast<ssize_t>(packet.size()));
}

struct Received {
  DatagramHeader header;
  std::string payload;
};

// The next packet on the channel, running the daemon's loop until one arrives.
std::optional<Received> receive_datagram(IpcHarness& h, int fd) {
  std::array<char, 70000> buffer{};
  ssize_t n = -1;
  h.run_until([&] {
    n = ::recv(fd, buffer.data(), buffer.size(), MSG_DONTWAIT);
    return n >= 0;
  });
  if (n < 0) return std::nullopt;
  const auto bytes = std::as_bytes(std::span{buffer}.first(static_cast<std::size_t>(n)));
  const auto header = decode_datagram_header(bytes);
  EXPECT_TRUE(header.has_value());
  if (!header) return std::nullopt;
  return Received{*header, std::string(buffer.data() + kDatagramHeaderSize,
                                       static_cast<std::size_t>(n) - kDatagramHeaderSize)};
}

TEST(IpcUdp, DatagramsGoOutAndComeBackWithTheirSource) {
  IpcHarness h;
  h.udp_echo_on(kEchoPort);
  auto client = h.client();
  ASSERT_NE(client, nullptr);
  const auto socket = client->socket(SocketKind::udp);
  ASSERT_TRUE(socket.has_value());
  const SocketAddress echo{sim::kAddrB, kEchoPort};
  for (const std::string& payload : {std::string{"hello"}, std::string{}, std::string(4000, 'f')}) {
    send_datagram(socket->fd, echo, payload);
    const auto got = receive_datagram(h, socket->fd);
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->header.address, echo);
    EXPECT_EQ(got->payload, payload);  // 4000 bytes: fragmented and reassembled
  }
  EXPECT_EQ(h.udp_echoed(), 3u);
  const auto local = client->local_address(*socket);
  ASSERT_TRUE(local.has_value());
  // Autobound by the first sendto: a port on INADDR_ANY, as Linux (only connect picks an address).
  EXPECT_TRUE(local->address.is_unspecified());
  EXPECT_NE(local->port, 0);
  EXPECT_EQ(client->get_int_option(*socket, SocketOption::so_type).value_or(0), 2);
}

TEST(IpcUdp, ConnectedSocketSendsWithoutAddressAndLearnsRefusal) {
  IpcHarness h;
  h.udp_echo_on(kEchoPort);
  auto client = h.client();
  ASSERT_NE(client, nullptr);
  const auto socket = client->socket(SocketKind::udp);
  ASSERT_TRUE(socket.has_value());
  ASSERT_TRUE(client->connect(*socket, SocketAddress{sim::kAddrB, kEchoPort}).has_value());
  EXPECT_EQ(client->peer_address(*socket).value_or(SocketAddress{}),
            (SocketAddress{sim::kAddrB, kEchoPort}));
  send_datagram(socket->fd, SocketAddress{}, "to the peer");
  const auto echoed = receive_datagram(h, socket->fd);
  ASSERT_TRUE(echoed.has_value());
  EXPECT_EQ(echoed->payload, "to the peer");

  // RFC 1122 §4.1.3.3: the port unreachable from B reaches the connected socket.
  ASSERT_TRUE(client->connect(*socket, SocketAddress{sim::kAddrB, kClosedPort}).has_value());
  send_datagram(socket->fd, SocketAddress{}, "anyone?");
  const auto refused = receive_datagram(h, socket->fd);
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->header.error, static_cast<std::uint32_t>(ECONNREFUSED));
  EXPECT_TRUE(refused->payload.empty());
}

TEST(IpcUdp, TcpOnlyCallsAreRefusedAndUnconnectedHasNoPeer) {
  IpcHarness h;
  auto client = h.client();
  ASSERT_NE(client, nullptr);
  const auto socket = client->socket(SocketKind::udp);
  ASSERT_TRUE(socket.has_value());
  EXPECT_EQ(client->listen(*socket, 5).error(), EOPNOTSUPP);
  EXPECT_EQ(client->peer_address(*socket).error(), ENOTCONN);
  EXPECT_EQ(client->tcp_info(*socket).error(), ENOPROTOOPT);
  EXPECT_EQ(client->set_int_option(*socket, SocketOption::tcp_nodelay, 1).error(), ENOPROTOOPT);
  ASSERT_TRUE(client->set_int_option(*socket, SocketOption::so_broadcast, 1).has_value());
  EXPECT_EQ(client->get_int_option(*socket, SocketOption::so_broadcast).value_or(0), 1);
  ASSERT_TRUE(client->set_int_option(*socket, SocketOption::so_rcvbuf, 10000).has_value());
  EXPECT_EQ(client->get_int_option(*socket, SocketOption::so_rcvbuf).value_or(0), 20000);
  ASSERT_TRUE(client->bind(*socket, SocketAddress{sim::kAddrA, 6000}).has_value());
  EXPECT_EQ(client->bind(*socket, SocketAddress{sim::kAddrA, 6001}).error(), EINVAL);
}

TEST(IpcUdp, LastCloseFreesTheStackSocket) {
  IpcHarness h;
  auto client = h.client();
  ASSERT_NE(client, nullptr);
  const auto socket = client->socket(SocketKind::udp);
  ASSERT_TRUE(socket.has_value());
  EXPECT_EQ(h.sim().a().udp().socket_count(), 1u);
  ::close(socket->fd);
  EXPECT_TRUE(h.run_until([&] { return h.server().socket_count() == 0; }));
  EXPECT_EQ(h.sim().a().udp().socket_count(), 0u);
}

}  // namespace
}  // namespace tapstack::ipc
