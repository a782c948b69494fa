// TcpLayer: listeners, accept queue, SYN cookies, resets for segments without a socket, socket
// handles and ports, driven end to end between two stacks on virtual time.
#include "stack/tcp/tcp_layer.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string_view>

#include "sim/sim_network.hpp"

namespace tapstack {
namespace {

using sim::kAddrA;
using sim::kAddrB;
using sim::SimNetwork;
using sim::SimSettings;
using std::chrono::seconds;

constexpr std::uint16_t kPort = 80;

class TcpLayerTest : public ::testing::Test {
 protected:
  explicit TcpLayerTest(SimSettings settings = {}) : net_(settings) {}

  TcpLayer& a() { return net_.a().tcp(); }
  TcpLayer& b() { return net_.b().tcp(); }
  std::uint64_t a_count(Counter c) { return net_.a().counters().get(c); }
  std::uint64_t b_count(Counter c) { return net_.b().counters().get(c); }

  // Runs the network for `d` of virtual time (or until nothing is scheduled).
  void run_for(Duration d) {
    const Instant limit = net_.now() + d;
    net_.run_until([] { return false; }, [] { return false; }, limit);
  }

  SocketHandle connect_to(std::uint16_t port, std::uint16_t local_port = 0) {
    auto socket = a().connect({Ipv4Addr::any(), local_port}, {kAddrB, port}, {}, net_.now());
    EXPECT_TRUE(socket.has_value());
    return *socket;
  }

  TcpState state(TcpLayer& layer, SocketHandle socket) {
    const TcpConnection* connection = layer.connection(socket);
    return connection != nullptr ? connection->state() : TcpState::closed;
  }

  std::string read_all(TcpLayer& layer, SocketHandle socket) {
    std::string text;
    std::array<std::byte, 4096> buffer;
    while (auto n = layer.receive(socket, buffer, false, net_.now())) {
      if (*n == 0) break;
      for (std::size_t i = 0; i < *n; ++i) text.push_back(static_cast<char>(buffer[i]));
    }
    return text;
  }

  void write(TcpLayer& layer, SocketHandle socket, std::string_view text) {
    const auto sent = layer.send(socket, std::as_bytes(std::span{text}), net_.now());
    ASSERT_TRUE(sent.has_value());
    ASSERT_EQ(*sent, text.size());
  }

  SimNetwork net_;
};

TEST_F(TcpLayerTest, ConnectAcceptAndExchangeData) {
  const auto listener = b().listen({Ipv4Addr::any(), kPort}, 8, {});
  ASSERT_TRUE(listener);
  const SocketHandle client = connect_to(kPort);
  EXPECT_EQ(state(a(), client), TcpState::syn_sent);
  EXPECT_EQ(a().local_address(client)->address, kAddrA);
  EXPECT_GE(a().local_address(client)->port, 32768);
  run_for(seconds(1));
  EXPECT_EQ(state(a(), client), TcpState::established);
  const auto server = b().accept(*listener);
  ASSERT_TRUE(server);
  EXPECT_EQ(state(b(), *server), TcpState::established);
  write(a(), client, "hello");
  run_for(seconds(1));
  EXPECT_EQ(read_all(b(), *server), "hello");
  EXPECT_EQ(a_count(Counter::tcp_active_opens), 1U);
  EXPECT_EQ(b_count(Counter::tcp_passive_opens), 1U);
}

TEST_F(TcpLayerTest, SnapshotListsListenersConnectionsAndOrphans) {
  const auto listener = b().listen({Ipv4Addr::any(), kPort}, 8, {});
  const SocketHandle client = connect_to(kPort);
  run_for(seconds(1));
  auto sockets = b().snapshot();
  ASSERT_EQ(sockets.size(), 2U);
  EXPECT_EQ(sockets[0].state, TcpState::listen);
  EXPECT_EQ(sockets[0].accept_queue, 1U);
  EXPECT_EQ(sockets[0].backlog, 8U);
  EXPECT_EQ(sockets[1].state, TcpState::established);
  EXPECT_EQ(sockets[1].remote, *a().local_address(client));
  ASSERT_TRUE(sockets[1].info.has_value());
  EXPECT_GT(sockets[1].info->cwnd, 0U);
  EXPECT_FALSE(sockets[1].orphan);  // waiting in the accept queue, not orphaned
  const auto server = b().accept(*listener);
  b().close(*server, net_.now());
  sockets = b().snapshot();
  ASSERT_EQ(sockets.size(), 2U);
  EXPECT_EQ(sockets[1].state, TcpState::fin_wait_1);
  EXPECT_TRUE(sockets[1].orphan);
}

TEST_F(TcpLayerTest, ConnectionToOurOwnAddressGoesThroughLoopback) {
  const auto listener = b().listen({Ipv4Addr::any(), kPort}, 8, {});
  const auto client = b().connect({}, {kAddrB, kPort}, {}, net_.now());
  ASSERT_TRUE(client);
  run_for(seconds(1));
  const auto server = b().accept(*listener);
  ASSERT_TRUE(server);
  EXPECT_EQ(b().local_address(*client)->address, kAddrB);
  write(b(), *client, "to myself");
  run_for(seconds(1));
  EXPECT_EQ(read_all(b(), *server), "to myself");
  EXPECT_GT(b_count(Counter::ipv4_tx_loopback), 0U);
  EXPECT_EQ(a_count(Counter::eth_rx_frames), 2U);  // only B's two gratuitous ARPs reached A
}

TEST_F(TcpLayerTest, ConnectToClosedPortIsRefusedByReset) {
  const SocketHandle client = connect_to(81);
  run_for(seconds(1));
  EXPECT_EQ(b_count(Counter::tcp_rx_no_socket), 1U);
  EXPECT_EQ(b_count(Counter::tcp_tx_resets), 1U);
  EXPECT_EQ(a().take_error(client), SocketError::connection_refused);
  EXPECT_EQ(a_count(Counter::tcp_attempt_fails), 1U);
}

TEST_F(TcpLayerTest, ListenErrorsMatchTheKernel) {
  ASSERT_TRUE(b().listen({Ipv4Addr::any(), kPort}, 8, {}));
  EXPECT_EQ(b().listen({Ipv4Addr::any(), kPort}, 8, {}).error(), SocketError::address_in_use);
  EXPECT_EQ(b().listen({kAddrB, kPort}, 8, {}).error(), SocketError::address_in_use);
  EXPECT_EQ(b().listen({Ipv4Addr{10, 9, 9, 9}, 81}, 8, {}).error(),
            SocketError::address_not_available);
  EXPECT_TRUE(b().listen({kAddrB, 81}, 8, {}));
}

TEST_F(TcpLayerTest, AcceptWithEmptyQueueWouldBlockAndStaleHandlesAreRejected) {
  const auto listener = b().listen({Ipv4Addr::any(), kPort}, 8, {});
  EXPECT_EQ(b().accept(*listener).error(), SocketError::would_block);
  b().close(*listener, net_.now());
  EXPECT_EQ(b().accept(*listener).error(), SocketError::bad_handle);
  // The slot is reused by the next socket; the old handle still does not reach it.
  const auto again = b().listen({Ipv4Addr::any(), kPort}, 8, {});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->index, listener->index);
  EXPECT_EQ(b().accept(*listener).error(), SocketError::bad_handle);
}

// Zero-copy receive through the layer: the bytes in place, consumed, then the end of stream;
// a stale handle gets bad_handle from both calls.
TEST_F(TcpLayerTest, ReadableBytesAndConsumeThroughTheLayer) {
  const auto listener = b().listen({Ipv4Addr::any(), kPort}, 8, {});
  const SocketHandle client = connect_to(kPort);
  run_for(seconds(1));
  const auto server = b().accept(*listener);
  ASSERT_TRUE(server);
  EXPECT_EQ(b().readable_bytes(*server).error(), SocketError::would_block);
  write(a(), client, "hello");
  a().shutdown_send(client, net_.now());
  run_for(seconds(1));
  const auto waiting = b().readable_bytes(*server);
  ASSERT_TRUE(waiting);
  const wire::Bytes first = (*waiting)[0];
  std::string text;
  for (const std::byte b : first) text.push_back(static_cast<char>(b));
  EXPECT_EQ(text, "hello");
  EXPECT_TRUE(b().consume(*server, 5, net_.now()));
  const auto end = b().readable_bytes(*server);
  ASSERT_TRUE(end);
  EXPECT_TRUE((*end)[0].empty() && (*end)[1].empty());
  b().close(*server, net_.now());
  EXPECT_EQ(b().readable_bytes(*server).error(), SocketError::bad_handle);
  EXPECT_EQ(b().consume(*server, 1, net_.now()).error(), SocketError::bad_handle);
}

TEST_F(TcpLayerTest, FullAcceptQueueDropsSynsUntilTheApplicationAccepts) {
  const auto listener = b().listen({Ipv4Addr::any(), kPort}, 1, {});
  const SocketHandle first = connect_to(kPort);
  run_for(seconds(1));
  EXPECT_EQ(state(a(), first), TcpState::established);
  // The accept queue holds its one connection: like Linux, further SYNs are dropped, and the
  // client's SYN retransmission succeeds once the application has accepted.
  const SocketHandle second = connect_to(kPort);
  run_for(std::chrono::milliseconds(500));
  EXPECT_EQ(state(a(), second), TcpState::syn_sent);
  EXPECT_EQ(b_count(Counter::tcp_listen_overflow), 1U);
  ASSERT_TRUE(b().accept(*listener));
  run_for(seconds(1));
  EXPECT_EQ(state(a(), second), TcpState::established);
  EXPECT_TRUE(b().accept(*listener));
}

TEST_F(TcpLayerTest, HandshakesInProgressMayOvershootTheBacklog) {
  // Both SYNs arrive while the queue is empty; both handshakes complete and are queued (the
  // overshoot is bounded by syn_backlog) instead of being reset.
  const auto listener = b().listen({Ipv4Addr::any(), kPort}, 1, {});
  connect_to(kPort);
  connect_to(kPort);
  run_for(seconds(1));
  EXPECT_TRUE(b().accept(*listener));
  EXPECT_TRUE(b().accept(*listener));
}

TEST_F(TcpLayerTest, ClosingAListenerResetsConnectionsNotYetAccepted) {
  const auto listener = b().listen({Ipv4Addr::any(), kPort}, 8, {});
  const SocketHandle client = connect_to(kPort);
  run_for(seconds(1));
  ASSERT_EQ(state(a(), client), TcpState::established);
  b().close(*listener, net_.now());
  run_for(seconds(1));
  EXPECT_EQ(a().take_error(client), SocketError::connection_reset);
  EXPECT_EQ(b().connection_count(), 0U);
}

TEST_F(TcpLayerTest, EphemeralPortsAreDistinct) {
  ASSERT_TRUE(b().listen({Ipv4Addr::any(), kPort}, 512, {}));
  std::set<std::uint16_t> ports;
  for (int i = 0; i < 300; ++i) ports.insert(a().local_address(connect_to(kPort))->port);
  EXPECT_EQ(ports.size(), 300U);
  run_for(seconds(2));
  EXPECT_EQ(b().connection_count(), 300U);
}

TEST_F(TcpLayerTest, ExplicitLocalPortInUseIsRejected) {
  ASSERT_TRUE(b().listen({Ipv4Addr::any(), kPort}, 8, {}));
  connect_to(kPort, 40000);
  EXPECT_EQ(a().connect({Ipv4Addr::any(), 40000}, {kAddrB, kPort}, {}, net_.now()).error(),
            SocketError::address_in_use);
}

TEST_F(TcpLayerTest, NewSynReusesAConnectionInTimeWait) {
  const auto listener = b().listen({Ipv4Addr::any(), kPort}, 8, {});
  const SocketHandle client = connect_to(kPort, 40000);
  run_for(seconds(1));
  const auto server = b().accept(*listener);
  ASSERT_TRUE(server);
  // The server closes first, so the server side ends in TIME-WAIT (60 s by default).
  b().close(*server, net_.now());
  run_for(seconds(1));
  EXPECT_EQ(read_all(a(), client), "");
  a().close(client, net_.now());
  run_for(seconds(1));
  ASSERT_EQ(b().connection_count(), 1U);  // TIME-WAIT
  // RFC 6191: the same 4-tuple again, with newer timestamps, replaces it at once.
  const SocketHandle again = connect_to(kPort, 40000);
  run_for(seconds(1));
  EXPECT_EQ(state(a(), again), TcpState::established);
  EXPECT_EQ(b_count(Counter::tcp_time_wait_reused), 1U);
}

class TcpSynCookieTest : public TcpLayerTest {
 protected:
  static SimSettings cookie_settings() {
    SimSettings settings;
    settings.tcp.syn_backlog = 0;  // every SYN is answered with a cookie
    return settings;
  }
  TcpSynCookieTest() : TcpLayerTest(cookie_settings()) {}
};

TEST_F(TcpSynCookieTest, HandshakeCompletesStatelesslyAndKeepsOptionsThroughTimestamps) {
  const auto listener = b().listen({Ipv4Addr::any(), kPort}, 8, {});
  const SocketHandle client = connect_to(kPort);
  run_for(seconds(1));
  EXPECT_EQ(b_count(Counter::tcp_syncookies_sent), 1U);
  EXPECT_EQ(b_count(Counter::tcp_syncookies_received), 1U);
  ASSERT_EQ(state(a(), client), TcpState::established);
  const auto server = b().accept(*listener);
  ASSERT_TRUE(server);
  const TcpConnectionInfo info = b().connection(*server)->info();
  EXPECT_TRUE(info.timestamps);
  EXPECT_TRUE(info.sack);
  EXPECT_EQ(info.snd_wscale, a().connection(client)->info().rcv_wscale);
  // Data flows both ways: our timestamps continue the cookie's clock, so PAWS keeps quiet.
  write(a(), client, "ping");
  run_for(seconds(1));
  EXPECT_EQ(read_all(b(), *server), "ping");
  write(b(), *server, "pong");
  run_for(seconds(1));
  EXPECT_EQ(read_all(a(), client), "pong");
  EXPECT_EQ(a_count(Counter::tcp_drop_paws) + b_count(Counter::tcp_drop_paws), 0U);
}

}  // namespace
}  // namespace tapstack
