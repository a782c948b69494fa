// ipc.max_buffer_per_client: each socket reserves the stack buffer space it may fill (TCP send
// buffer plus largest receive buffer, UDP receive queue); the calls that would take a client's
// reservations past the budget fail with ENOBUFS, and a closed socket gives its share back.
#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>

#include "ipc_harness.hpp"

namespace tapstack::ipc {
namespace {

using testing::IpcHarness;

constexpr std::size_t kSendBuffer = 8192;
constexpr std::size_t kReceiveBufferMax = 16384;
constexpr std::size_t kTcpReservation = kSendBuffer + kReceiveBufferMax;
constexpr std::size_t kUdpReservation = 8192;

daemon::ipc::IpcServerSettings budget_of(std::size_t bytes) {
  daemon::ipc::IpcServerSettings settings;
  settings.tcp.send_buffer = kSendBuffer;
  settings.tcp.receive_buffer_max = kReceiveBufferMax;
  settings.udp.receive_buffer = kUdpReservation;
  settings.max_buffer_per_client = bytes;
  return settings;
}

TEST(IpcBufferBudget, SocketBeyondTheBudgetGetsEnobufs) {
  IpcHarness h{budget_of(2 * kTcpReservation + kUdpReservation)};
  auto client = h.client();
  const auto a = client->socket(SocketKind::tcp);
  const auto b = client->socket(SocketKind::tcp);
  const auto u = client->socket(SocketKind::udp);
  ASSERT_TRUE(a.has_value() && b.has_value() && u.has_value());
  EXPECT_EQ(client->socket(SocketKind::tcp).error(), ENOBUFS);
  EXPECT_EQ(client->socket(SocketKind::udp).error(), ENOBUFS);
  // Another client has a budget of its own.
  auto other = h.client();
  const auto theirs = other->socket(SocketKind::tcp);
  ASSERT_TRUE(theirs.has_value());
  // Closing gives the reservation back.
  ASSERT_TRUE(client->close(*b).has_value());
  const auto c = client->socket(SocketKind::tcp);
  ASSERT_TRUE(c.has_value());
  for (const Socket& s : {*a, *c, *u, *theirs}) ::close(s.fd);
}

TEST(IpcBufferBudget, BufferOptionsAreChargedAndRefusedBeyond) {
  IpcHarness h{budget_of(2 * kTcpReservation)};
  auto client = h.client();
  const auto a = client->socket(SocketKind::tcp).value();
  const auto b = client->socket(SocketKind::tcp).value();
  // A smaller fixed SO_RCVBUF (doubled: 8192) frees 8192 bytes: room for one UDP socket.
  ASSERT_TRUE(client->set_int_option(a, SocketOption::so_rcvbuf, 4096).has_value());
  const auto u = client->socket(SocketKind::udp);
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(client->socket(SocketKind::udp).error(), ENOBUFS);
  // Growing a buffer past the budget is refused and leaves the option as it was.
  EXPECT_EQ(client->set_int_option(b, SocketOption::so_sndbuf, 65536).error(), ENOBUFS);
  EXPECT_EQ(client->get_int_option(b, SocketOption::so_sndbuf).value(),
            static_cast<std::int32_t>(kSendBuffer));
  EXPECT_EQ(client->set_int_option(*u, SocketOption::so_rcvbuf, 65536).error(), ENOBUFS);
  EXPECT_EQ(client->get_int_option(*u, SocketOption::so_rcvbuf).value(),
            static_cast<std::int32_t>(kUdpReservation));
  // Shrinking is always allowed; then the larger buffer fits.
  ASSERT_TRUE(client->set_int_option(*u, SocketOption::so_rcvbuf, 2304).has_value());
  ASSERT_TRUE(client->set_int_option(b, SocketOption::so_sndbuf, 5000).has_value());
  EXPECT_EQ(client->get_int_option(b, SocketOption::so_sndbuf).value(), 10000);
  for (const Socket& s : {a, b, *u}) ::close(s.fd);
}

TEST(IpcBufferBudget, ListenerStopsAcceptingAtTheBudgetAndResumes) {
  IpcHarness h{budget_of(2 * kTcpReservation)};
  auto client = h.client();
  const auto listener = client->socket(SocketKind::tcp).value();
  ASSERT_TRUE(client->bind(listener, SocketAddress{sim::kAddrA, 8004}).has_value());
  ASSERT_TRUE(client->listen(listener, 4).has_value());
  h.peer().connect(SocketAddress{sim::kAddrA, 8004}, h.sim().now());
  h.peer().connect(SocketAddress{sim::kAddrA, 8004}, h.sim().now());
  const auto readable = [&] {
    pollfd p{listener.fd, POLLIN, 0};
    return ::poll(&p, 1, 0) == 1;
  };
  ASSERT_TRUE(h.run_until(readable));
  const auto first = client->accept(listener, 0);
  ASSERT_TRUE(first.has_value());
  for (int i = 0; i < 100; ++i) h.step();
  EXPECT_FALSE(readable());  // the second waits in TCP's accept queue
  EXPECT_EQ(h.server().socket_count(), 2u);
  ::close(first->socket.fd);
  ASSERT_TRUE(h.run_until(readable));
  const auto second = client->accept(listener, 0);
  ASSERT_TRUE(second.has_value());
  ::close(second->socket.fd);
  ::close(listener.fd);
}

// close(2) frees a descriptor at once: a socket() right after closing others must not meet the
// limits because the server has not yet served those hang-ups (no loop turn in between here).
TEST(IpcBufferBudget, ClosedFdsFreeTheirShareBeforeTheNextSocket) {
  auto settings = budget_of(2 * kTcpReservation);
  settings.max_sockets_per_client = 2;
  IpcHarness h{settings};
  auto client = h.client();
  const auto a = client->socket(SocketKind::tcp).value();
  const auto b = client->socket(SocketKind::tcp).value();
  ASSERT_TRUE(client->listen(b, 1).has_value());
  ::close(a.fd);  // natively, as the shim does: the server learns of it only by the hang-up
  ::close(b.fd);
  const auto c = client->socket(SocketKind::tcp);
  ASSERT_TRUE(c.has_value()) << c.error();
  const auto d = client->socket(SocketKind::tcp);
  ASSERT_TRUE(d.has_value()) << d.error();
  EXPECT_EQ(client->socket(SocketKind::tcp).error(), EMFILE);
  ::close(c->fd);
  ::close(d->fd);
}

}  // namespace
}  // namespace tapstack::ipc
