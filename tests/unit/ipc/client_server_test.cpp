// libtapstack against the real IpcServer, in process: the server runs on stack A of a
// simulated link, a peer program on stack B. Covers the socket calls, data in both directions
// with end-to-end flow control, connect completion seen through poll, errors, and lifetime.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "ipc_harness.hpp"

namespace tapstack::ipc {
namespace {

using testing::IpcHarness;

const SocketAddress kPeerEcho{sim::kAddrB, 7};
constexpr std::uint16_t kClosedPort = 9;

short poll_now(int fd, short events) {
  pollfd p{fd, events, 0};
  EXPECT_GE(::poll(&p, 1, 0), 0);
  return p.revents;
}

std::string pattern(std::size_t size) {
  std::string text(size, '\0');
  for (std::size_t i = 0; i < size; ++i) text[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
  return text;
}

// Writes what the fd takes now; returns the bytes written.
std::size_t write_some(int fd, std::string_view data) {
  const ssize_t n = ::send(fd, data.data(), data.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  return n > 0 ? static_cast<std::size_t>(n) : 0;
}

// Reads what is there; false at EOF.
bool read_some(int fd, std::string& into) {
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::recv(fd, buffer, sizeof(buffer), MSG_DONTWAIT);
    if (n == 0) return false;
    if (n < 0) return true;
    into.append(buffer, static_cast<std::size_t>(n));
  }
}

Socket connected_socket(IpcHarness& h, Client& client, SocketAddress remote) {
  const auto socket = client.socket(SocketKind::tcp);
  EXPECT_TRUE(socket.has_value());
  EXPECT_TRUE(client.connect(*socket, remote).has_value());
  const auto done = client.finish_connect(*socket);
  EXPECT_TRUE(done.has_value()) << (done ? 0 : done.error());
  (void)h;
  return *socket;
}

TEST(IpcClientServer, HelloThenSocketWhoseLastCloseFreesIt) {
  IpcHarness h;
  auto client = h.client();
  ASSERT_NE(client, nullptr);
  EXPECT_GT(client->max_sockets(), 0u);
  const auto socket = client->socket(SocketKind::tcp);
  ASSERT_TRUE(socket.has_value());
  EXPECT_EQ(h.server().socket_count(), 1u);
  const auto name = client->local_address(*socket);
  ASSERT_TRUE(name.has_value());
  EXPECT_EQ(*name, SocketAddress{});
  // PROTOCOL.md §3.2: a fresh socket's fd is not writable.
  EXPECT_EQ(poll_now(socket->fd, POLLOUT) & POLLOUT, 0);
  // A dup keeps it alive; the last close frees it.
  const int dup = ::dup(socket->fd);
  ::close(socket->fd);
  for (int i = 0; i < 10; ++i) h.step();
  EXPECT_EQ(h.server().socket_count(), 1u);
  ::close(dup);
  EXPECT_TRUE(h.run_until([&] { return h.server().socket_count() == 0; }));
  EXPECT_EQ(h.server().stats().sockets_closed, 1u);
}

TEST(IpcClientServer, ConnectEchoAndGracefulShutdown) {
  IpcHarness h;
  h.peer().listen(7, /*echo=*/true);
  auto client = h.client();
  const Socket socket = connected_socket(h, *client, kPeerEcho);
  EXPECT_NE(poll_now(socket.fd, POLLOUT) & POLLOUT, 0);
  const auto event = client->take_event();
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->what, EventKind::connected);
  EXPECT_EQ(event->socket_id, socket.id);
  const auto peer = client->peer_address(socket);
  ASSERT_TRUE(peer.has_value());
  EXPECT_EQ(*peer, kPeerEcho);
  const auto local = client->local_address(socket);
  ASSERT_TRUE(local.has_value());
  EXPECT_EQ(local->address, sim::kAddrA);
  EXPECT_NE(local->port, 0);

  const std::string sent = pattern(1 << 20);
  std::string echoed;
  std::size_t written = 0;
  bool shut = false;
  bool eof = false;
  ASSERT_TRUE(h.run_until(
      [&] {
        written += write_some(socket.fd, std::string_view{sent}.substr(written));
        if (written == sent.size() && !shut) {
          EXPECT_TRUE(client->shutdown(socket, ShutdownHow::write).has_value());
          shut = true;
        }
        eof = !read_some(socket.fd, echoed);
        return eof;
      },
      200000));
  EXPECT_EQ(echoed.size(), sent.size());
  EXPECT_TRUE(echoed == sent);
  const auto info = client->tcp_info(socket);
  ASSERT_TRUE(info.has_value());
  EXPECT_NE(info->state, 1);  // no longer ESTABLISHED: both FINs exchanged
  ::close(socket.fd);
  EXPECT_TRUE(h.run_until([&] { return h.server().socket_count() == 0; }));
}

TEST(IpcClientServer, ConnectionRefusedReachesSoErrorAndAnEvent) {
  IpcHarness h;
  auto client = h.client();
  const auto socket = client->socket(SocketKind::tcp);
  ASSERT_TRUE(socket.has_value());
  ASSERT_TRUE(client->connect(*socket, SocketAddress{sim::kAddrB, kClosedPort}).has_value());
  const auto done = client->finish_connect(*socket);
  ASSERT_FALSE(done.has_value());
  EXPECT_EQ(done.error(), ECONNREFUSED);
  // The fd polled writable and readable (EOF), as the kernel's refused socket does.
  EXPECT_NE(poll_now(socket->fd, POLLOUT | POLLIN) & (POLLOUT | POLLIN), 0);
  char byte = 0;
  EXPECT_EQ(::recv(socket->fd, &byte, 1, MSG_DONTWAIT), 0);
  const auto event = client->take_event();
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->what, EventKind::error);
  EXPECT_EQ(event->error, static_cast<std::uint32_t>(ECONNREFUSED));
  // SO_ERROR was cleared by reading it.
  EXPECT_EQ(client->take_error(*socket).value(), 0);
  ::close(socket->fd);
}

TEST(IpcClientServer, ConnectingSocketIsNotWritableUntilItFails) {
  IpcHarness h;
  auto client = h.client();
  const auto socket = client->socket(SocketKind::tcp);
  ASSERT_TRUE(socket.has_value());
  // Nobody answers ARP for 10.0.0.3: the connection stays in SYN-SENT for a while.
  ASSERT_TRUE(client->connect(*socket, SocketAddress{Ipv4Addr{10, 0, 0, 3}, 80}).has_value());
  for (int i = 0; i < 20; ++i) h.turn();
  EXPECT_EQ(poll_now(socket->fd, POLLOUT) & POLLOUT, 0);
  EXPECT_EQ(client->take_error(*socket).value(), 0);
  EXPECT_TRUE(h.run_until([&] { return (poll_now(socket->fd, POLLOUT) & POLLOUT) != 0; }));
  const int error = client->take_error(*socket).value();
  EXPECT_TRUE(error == EHOSTUNREACH || error == ETIMEDOUT) << error;
  ::close(socket->fd);
}

TEST(IpcClientServer, ListenAcceptAndTalk) {
  IpcHarness h;
  auto client = h.client();
  const auto listener = client->socket(SocketKind::tcp);
  ASSERT_TRUE(listener.has_value());
  ASSERT_TRUE(client->bind(*listener, SocketAddress{Ipv4Addr{}, 8000}).has_value());
  ASSERT_TRUE(client->listen(*listener, 8).has_value());
  EXPECT_EQ(client->get_int_option(*listener, SocketOption::so_acceptconn).value(), 1);
  // Nothing to accept yet.
  const auto none = client->accept(*listener, MSG_DONTWAIT);
  ASSERT_FALSE(none.has_value());
  EXPECT_EQ(none.error(), EAGAIN);

  auto& remote = h.peer().connect(SocketAddress{sim::kAddrA, 8000}, h.sim().now());
  remote.to_send = "hello";
  ASSERT_TRUE(h.run_until([&] { return (poll_now(listener->fd, POLLIN) & POLLIN) != 0; }));
  const auto accepted = client->accept(*listener, 0);
  ASSERT_TRUE(accepted.has_value()) << accepted.error();
  EXPECT_EQ(accepted->local, (SocketAddress{sim::kAddrA, 8000}));
  EXPECT_EQ(accepted->peer.address, sim::kAddrB);
  EXPECT_EQ(client->peer_address(accepted->socket).value(), accepted->peer);

  std::string got;
  ASSERT_TRUE(h.run_until([&] {
    read_some(accepted->socket.fd, got);
    return got.size() >= 5;
  }));
  EXPECT_EQ(got, "hello");
  EXPECT_EQ(write_some(accepted->socket.fd, "world"), 5u);
  ASSERT_TRUE(h.run_until([&] { return remote.received == "world"; }));
  EXPECT_EQ(client->tcp_info(accepted->socket).value().state, 1);  // ESTABLISHED

  // The program closes: the peer sees the FIN.
  ::close(accepted->socket.fd);
  ASSERT_TRUE(h.run_until([&] { return remote.fin; }));
  ::close(listener->fd);
  EXPECT_TRUE(h.run_until([&] { return h.server().socket_count() == 0; }));
}

TEST(IpcClientServer, SlowReaderClosesTheWindowAndLosesNothing) {
  IpcHarness h;
  auto client = h.client();
  const auto listener = client->socket(SocketKind::tcp);
  ASSERT_TRUE(client->bind(*listener, SocketAddress{sim::kAddrA, 8001}).has_value());
  ASSERT_TRUE(client->listen(*listener, 8).has_value());
  auto& remote = h.peer().connect(SocketAddress{sim::kAddrA, 8001}, h.sim().now());
  const std::string data = pattern(8 << 20);
  remote.to_send = data;
  ASSERT_TRUE(h.run_until([&] { return (poll_now(listener->fd, POLLIN) & POLLIN) != 0; }));
  const auto accepted = client->accept(*listener, 0);
  ASSERT_TRUE(accepted.has_value());
  // The program does not read: the channel fills, then TCP's receive buffer, then the peer's
  // send buffer stops draining. Nothing is lost and the daemon holds no copy.
  for (int i = 0; i < 2000; ++i) h.step();
  EXPECT_GT(remote.to_send.size(), 0u);
  const auto info = client->tcp_info(accepted->socket).value();
  EXPECT_LT(info.rcv_wnd, info.snd_mss);  // closed, but for silly-window leftovers
  EXPECT_LE(info.unread_bytes, TcpSettings{}.receive_buffer_max);
  std::string got;
  ASSERT_TRUE(h.run_until(
      [&] {
        read_some(accepted->socket.fd, got);
        return got.size() == data.size();
      },
      400000));
  EXPECT_TRUE(got == data);
  ::close(accepted->socket.fd);
  ::close(listener->fd);
}

TEST(IpcClientServer, ForgedSocketIdsAreRefused) {
  IpcHarness h;
  auto alice = h.client();
  auto mallory = h.client();
  const auto victim = alice->socket(SocketKind::tcp);
  const auto own = mallory->socket(SocketKind::tcp);
  ASSERT_TRUE(victim.has_value());
  ASSERT_TRUE(own.has_value());
  // Mallory names Alice's socket but can only pass her own fd.
  const auto forged = mallory->listen(Socket{victim->id, own->fd}, 1);
  ASSERT_FALSE(forged.has_value());
  EXPECT_EQ(forged.error(), EBADF);
  // Or any other fd.
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  EXPECT_EQ(mallory->take_error(Socket{own->id, pipe_fds[0]}).error(), EBADF);
  EXPECT_EQ(mallory->take_error(Socket{999, own->fd}).error(), EBADF);
  EXPECT_EQ(h.server().stats().requests_refused_bad_fd, 3u);
  // An fd passed to another process (here: the same fd) works with its id: it is the socket.
  EXPECT_TRUE(mallory->take_error(*victim).has_value());
  // Id 0 names the socket by its fd alone (a shim after exec); any other fd is refused.
  EXPECT_TRUE(mallory->listen(Socket{0, victim->fd}, 1).has_value());
  EXPECT_EQ(alice->get_int_option(*victim, SocketOption::so_acceptconn).value(), 1);
  EXPECT_EQ(mallory->take_error(Socket{0, pipe_fds[1]}).error(), EBADF);
  for (const int fd : {pipe_fds[0], pipe_fds[1], victim->fd, own->fd}) ::close(fd);
}

TEST(IpcClientServer, SocketLimitPerClient) {
  daemon::ipc::IpcServerSettings settings;
  settings.max_sockets_per_client = 2;
  IpcHarness h{settings};
  auto client = h.client();
  EXPECT_EQ(client->max_sockets(), 2u);
  const auto a = client->socket(SocketKind::tcp);
  const auto b = client->socket(SocketKind::tcp);
  ASSERT_TRUE(a.has_value() && b.has_value());
  const auto c = client->socket(SocketKind::tcp);
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error(), EMFILE);
  ASSERT_TRUE(client->close(*a).has_value());
  const auto d = client->socket(SocketKind::tcp);
  ASSERT_TRUE(d.has_value());
  ::close(b->fd);
  ::close(d->fd);
}

TEST(IpcClientServer, OptionsFollowLinux) {
  IpcHarness h;
  auto client = h.client();
  const auto s = client->socket(SocketKind::tcp).value();
  EXPECT_EQ(client->get_int_option(s, SocketOption::tcp_nodelay).value(), 0);
  ASSERT_TRUE(client->set_int_option(s, SocketOption::tcp_nodelay, 1).has_value());
  EXPECT_EQ(client->get_int_option(s, SocketOption::tcp_nodelay).value(), 1);
  ASSERT_TRUE(client->set_int_option(s, SocketOption::so_rcvbuf, 65536).has_value());
  EXPECT_EQ(client->get_int_option(s, SocketOption::so_rcvbuf).value(), 131072);
  EXPECT_EQ(client->get_int_option(s, SocketOption::so_type).value(), 1);
  EXPECT_EQ(client->set_int_option(s, SocketOption::so_reuseport, 1).error(), ENOPROTOOPT);
  EXPECT_EQ(client->set_int_option(s, SocketOption::so_error, 0).error(), ENOPROTOOPT);
  EXPECT_EQ(client->set_int_option(s, SocketOption::tcp_keepcnt, 0).error(), EINVAL);
  ASSERT_TRUE(client->set_int_option(s, SocketOption::tcp_keepidle, 30).has_value());
  EXPECT_EQ(client->get_int_option(s, SocketOption::tcp_keepidle).value(), 30);
  const OptionValue reno{std::byte{'r'}, std::byte{'e'}, std::byte{'n'}, std::byte{'o'}};
  ASSERT_TRUE(client->set_option(s, SocketOption::tcp_congestion, reno).has_value());
  const auto name = client->get_option(s, SocketOption::tcp_congestion).value();
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(name.data()), name.size()), "newreno");
  const OptionValue bogus{std::byte{'x'}};
  EXPECT_EQ(client->set_option(s, SocketOption::tcp_congestion, bogus).error(), ENOENT);
  OptionValue linger(8);
  linger[3] = std::byte{1};  // on, 0 seconds
  ASSERT_TRUE(client->set_option(s, SocketOption::so_linger, linger).has_value());
  EXPECT_EQ(client->get_option(s, SocketOption::so_linger).value(), linger);
  ::close(s.fd);
}

TEST(IpcClientServer, LingerZeroCloseResetsThePeer) {
  IpcHarness h;
  h.peer().listen(7, false);
  auto client = h.client();
  const auto s = client->socket(SocketKind::tcp).value();
  OptionValue linger(8);
  linger[3] = std::byte{1};
  ASSERT_TRUE(client->set_option(s, SocketOption::so_linger, linger).has_value());
  ASSERT_TRUE(client->connect(s, kPeerEcho).has_value());
  ASSERT_TRUE(client->finish_connect(s).has_value());
  ASSERT_TRUE(h.run_until([&] { return h.peer().first() != nullptr; }));
  ::close(s.fd);
  ASSERT_TRUE(h.run_until([&] { return h.peer().first()->error.has_value(); }));
  EXPECT_EQ(*h.peer().first()->error, SocketError::connection_reset);
}

TEST(IpcClientServer, ClosingWithUnreadDataResetsThePeer) {
  IpcHarness h;
  h.peer().listen(7, false);
  auto client = h.client();
  const Socket s = connected_socket(h, *client, kPeerEcho);
  ASSERT_TRUE(h.run_until([&] { return h.peer().first() != nullptr; }));
  h.peer().first()->to_send = "unread by the program";
  // The bytes reach the program's end of the channel, where it never reads them.
  ASSERT_TRUE(h.run_until([&] { return (poll_now(s.fd, POLLIN) & POLLIN) != 0; }));
  ::close(s.fd);
  ASSERT_TRUE(h.run_until([&] { return h.peer().first()->error.has_value(); }));
  EXPECT_EQ(*h.peer().first()->error, SocketError::connection_reset);
}

TEST(IpcClientServer, ClosingAfterReadingEverythingEndsWithFin) {
  IpcHarness h;
  h.peer().listen(7, false);
  auto client = h.client();
  const Socket s = connected_socket(h, *client, kPeerEcho);
  ASSERT_TRUE(h.run_until([&] { return h.peer().first() != nullptr; }));
  h.peer().first()->to_send = "read by the program";
  std::string got;
  ASSERT_TRUE(h.run_until([&] {
    read_some(s.fd, got);
    return got == "read by the program";
  }));
  ::close(s.fd);
  ASSERT_TRUE(h.run_until([&] { return h.peer().first()->fin; }));
  EXPECT_FALSE(h.peer().first()->error.has_value());
}

TEST(IpcClientServer, PeerResetReachesTheProgramAsEofAndSoError) {
  IpcHarness h;
  h.peer().listen(7, false);
  auto client = h.client();
  const Socket s = connected_socket(h, *client, kPeerEcho);
  ASSERT_TRUE(h.run_until([&] { return h.peer().first() != nullptr; }));
  h.sim().b().tcp().abort(h.peer().first()->handle, h.sim().now());
  std::string got;
  ASSERT_TRUE(h.run_until([&] { return !read_some(s.fd, got); }));
  EXPECT_EQ(client->take_error(s).value(), ECONNRESET);
  ::close(s.fd);
  EXPECT_TRUE(h.run_until([&] { return h.server().socket_count() == 0; }));
}

}  // namespace
}  // namespace tapstack::ipc

namespace tapstack::ipc {
namespace {

TEST(IpcClientServer, SocketsOutliveTheControlConnectionWhileTheirFdsLive) {
  IpcHarness h;
  h.peer().listen(7, /*echo=*/true);
  Socket socket;
  {
    auto client = h.client();
    socket = connected_socket(h, *client, kPeerEcho);
  }
  EXPECT_TRUE(h.run_until([&] { return h.server().client_count() == 0; }));
  // The fd is the socket (it may have been inherited across exec): it still works.
  EXPECT_EQ(write_some(socket.fd, "ping"), 4u);
  std::string got;
  ASSERT_TRUE(h.run_until([&] {
    read_some(socket.fd, got);
    return got == "ping";
  }));
  ::close(socket.fd);  // as when the process exits or is killed
  EXPECT_TRUE(h.run_until([&] { return h.server().socket_count() == 0; }));
  ASSERT_TRUE(h.run_until([&] { return h.peer().first()->fin; }));
}

TEST(IpcClientServer, ClosingAListenerClosesItsUnacceptedConnections) {
  IpcHarness h;
  auto client = h.client();
  const auto listener = client->socket(SocketKind::tcp).value();
  ASSERT_TRUE(client->bind(listener, SocketAddress{sim::kAddrA, 8002}).has_value());
  ASSERT_TRUE(client->listen(listener, 4).has_value());
  auto& remote = h.peer().connect(SocketAddress{sim::kAddrA, 8002}, h.sim().now());
  ASSERT_TRUE(h.run_until([&] { return (poll_now(listener.fd, POLLIN) & POLLIN) != 0; }));
  EXPECT_EQ(h.server().socket_count(), 2u);
  ::close(listener.fd);
  EXPECT_TRUE(h.run_until([&] { return h.server().socket_count() == 0; }));
  EXPECT_TRUE(h.run_until([&] { return remote.fin || remote.error.has_value(); }));
}

// Linux frees a listener's port in close(2), and iperf3's server binds it again at once. Here the
// bind request is answered in the same server turn that first sees the channel hang up.
TEST(IpcClientServer, AClosedListenersPortCanBeBoundAgainAtOnce) {
  IpcHarness h;
  auto client = h.client();
  const SocketAddress local{sim::kAddrA, 5201};
  auto listener = client->socket(SocketKind::tcp).value();
  ASSERT_TRUE(client->bind(listener, local).has_value());
  ASSERT_TRUE(client->listen(listener, 4).has_value());
  for (int round = 0; round < 3; ++round) {
    const auto next = client->socket(SocketKind::tcp).value();
    const auto refused = client->bind(next, local);  // the listener is open: its port is taken
    ASSERT_FALSE(refused.has_value());
    EXPECT_EQ(refused.error(), EADDRINUSE);
    ::close(listener.fd);
    const auto bound = client->bind(next, local);
    ASSERT_TRUE(bound.has_value()) << "round " << round << ": " << bound.error();
    ASSERT_TRUE(client->listen(next, 4).has_value());
    listener = next;
  }
  EXPECT_EQ(h.server().socket_count(), 1u);
}

// Linux's accept copies the listener, SO_REUSEADDR included, so a server may listen on its port
// again while a connection it accepted lives on: iperf3's server between tests.
TEST(IpcClientServer, AcceptedConnectionsInheritReuseAddress) {
  IpcHarness h;
  auto client = h.client();
  const SocketAddress local{sim::kAddrA, 5203};
  const auto listener = client->socket(SocketKind::tcp).value();
  ASSERT_TRUE(client->set_int_option(listener, SocketOption::so_reuseaddr, 1).has_value());
  ASSERT_TRUE(client->bind(listener, local).has_value());
  ASSERT_TRUE(client->listen(listener, 4).has_value());
  h.peer().connect(local, h.sim().now());
  ASSERT_TRUE(h.run_until([&] { return (poll_now(listener.fd, POLLIN) & POLLIN) != 0; }));
  const auto accepted = client->accept(listener, 0);
  ASSERT_TRUE(accepted.has_value()) << accepted.error();
  EXPECT_EQ(client->get_int_option(accepted->socket, SocketOption::so_reuseaddr).value(), 1);
  ::close(listener.fd);
  const auto next = client->socket(SocketKind::tcp).value();
  ASSERT_TRUE(client->set_int_option(next, SocketOption::so_reuseaddr, 1).has_value());
  const auto bound = client->bind(next, local);
  ASSERT_TRUE(bound.has_value()) << bound.error();
  ASSERT_TRUE(client->listen(next, 4).has_value());
}

// A closed connection keeps its port until the daemon sent what the program wrote before closing
// (PROTOCOL.md §3.1): a bind in the same turn is refused, as Linux refuses it without SO_REUSEADDR.
TEST(IpcClientServer, AClosedConnectionsBytesGoOutBeforeItsPortIsFree) {
  IpcHarness h;
  h.peer().listen(7, /*echo=*/false);
  auto client = h.client();
  const SocketAddress local{sim::kAddrA, 5202};
  const auto connection = client->socket(SocketKind::tcp).value();
  ASSERT_TRUE(client->bind(connection, local).has_value());
  ASSERT_TRUE(client->connect(connection, kPeerEcho).has_value());
  ASSERT_TRUE(client->finish_connect(connection).has_value());
  const auto next = client->socket(SocketKind::tcp).value();
  ASSERT_EQ(::write(connection.fd, "last words", 10), 10);
  ::close(connection.fd);
  const auto refused = client->bind(next, local);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error(), EADDRINUSE);
  ASSERT_TRUE(h.run_until([&] { return h.peer().first() != nullptr && h.peer().first()->fin; }));
  EXPECT_EQ(h.peer().first()->received, "last words");
}

TEST(IpcClientServer, AcceptStopsAtTheSocketLimitAndResumes) {
  daemon::ipc::IpcServerSettings settings;
  settings.max_sockets_per_client = 2;
  IpcHarness h{settings};
  auto client = h.client();
  const auto listener = client->socket(SocketKind::tcp).value();
  ASSERT_TRUE(client->bind(listener, SocketAddress{sim::kAddrA, 8003}).has_value());
  ASSERT_TRUE(client->listen(listener, 4).has_value());
  h.peer().connect(SocketAddress{sim::kAddrA, 8003}, h.sim().now());
  h.peer().connect(SocketAddress{sim::kAddrA, 8003}, h.sim().now());
  ASSERT_TRUE(h.run_until([&] { return (poll_now(listener.fd, POLLIN) & POLLIN) != 0; }));
  const auto first = client->accept(listener, 0);
  ASSERT_TRUE(first.has_value());
  for (int i = 0; i < 100; ++i) h.step();
  // The second waits in TCP's accept queue: the client is at its limit.
  EXPECT_EQ(poll_now(listener.fd, POLLIN) & POLLIN, 0);
  EXPECT_EQ(h.server().socket_count(), 2u);
  ::close(first->socket.fd);
  ASSERT_TRUE(h.run_until([&] { return (poll_now(listener.fd, POLLIN) & POLLIN) != 0; }));
  const auto second = client->accept(listener, 0);
  ASSERT_TRUE(second.has_value());
  EXPECT_NE(second->peer.port, first->peer.port);
  ::close(second->socket.fd);
  ::close(listener.fd);
}

}  // namespace
}  // namespace tapstack::ipc

namespace tapstack::ipc {
namespace {

std::size_t open_fds() {
  std::size_t count = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator{"/proc/self/fd"}) {
    ++count;
  }
  return count;
}

TEST(IpcClientServer, NoDescriptorLeaksAcrossAWholeSession) {
  const std::size_t before = open_fds();
  {
    IpcHarness h;
    h.peer().listen(7, /*echo=*/true);
    auto client = h.client();
    const Socket socket = connected_socket(h, *client, kPeerEcho);
    const auto refused = client->socket(SocketKind::tcp).value();
    ASSERT_TRUE(client->connect(refused, SocketAddress{sim::kAddrB, kClosedPort}).has_value());
    EXPECT_EQ(client->finish_connect(refused).error(), ECONNREFUSED);
    ::close(socket.fd);
    ::close(refused.fd);
    EXPECT_TRUE(h.run_until([&] { return h.server().socket_count() == 0; }));
  }
  EXPECT_EQ(open_fds(), before);
}

}  // namespace
}  // namespace tapstack::ipc
