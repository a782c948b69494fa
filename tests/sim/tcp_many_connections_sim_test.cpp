// Scale: thousands of concurrent connections between two stacks, each carrying a little data,
// all opened, served and closed on one deadline queue, with nothing left behind.
#include <gtest/gtest.h>

#include <vector>

#include "sim/sim_network.hpp"
#include "stack/tcp/tcp_layer.hpp"

namespace tapstack::sim {
namespace {

using std::chrono::seconds;

TEST(TcpManyConnectionsSim, TenThousandConnectionsOpenTransferAndClose) {
  constexpr int kConnections = 10000;
  constexpr std::uint16_t kPort = 7;
  SimSettings settings;
  settings.tcp.time_wait = seconds(2);
  SimNetwork net{settings};
  const auto listener = net.b().tcp().listen({Ipv4Addr::any(), kPort}, 4096, {});
  ASSERT_TRUE(listener);
  // Resolve the neighbours first: 10,000 SYNs waiting for one ARP reply would overflow the
  // pending queue (16 packets, as Linux's unres_qlen) and only test SYN retransmission.
  const auto probe = net.a().tcp().connect({}, {kAddrB, 9}, {}, net.now());
  net.run_until([] { return false; }, [] { return false; }, net.now() + seconds(1));
  ASSERT_EQ(net.a().tcp().take_error(*probe), SocketError::connection_refused);
  net.a().tcp().close(*probe, net.now());
  std::vector<SocketHandle> clients;
  for (int i = 0; i < kConnections; ++i) {
    auto client = net.a().tcp().connect({}, {kAddrB, kPort}, {}, net.now());
    ASSERT_TRUE(client) << i;
    clients.push_back(*client);
  }
  std::vector<SocketHandle> servers;
  std::size_t bytes_received = 0;
  std::size_t sent_from = 0;  // clients[sent_from..] still have to write once connected
  const std::string message(100, 'x');
  std::array<std::byte, 512> buffer;
  auto step = [&] {
    bool progress = false;
    while (net.a().tcp().pop_event()) progress = true;
    while (net.b().tcp().pop_event()) progress = true;
    while (auto server = net.b().tcp().accept(*listener)) {
      servers.push_back(*server);
      progress = true;
    }
    while (sent_from < clients.size() &&
           net.a().tcp().send(clients[sent_from], std::as_bytes(std::span{message}), net.now())) {
      ++sent_from;
      progress = true;
    }
    for (const SocketHandle server : servers) {
      while (auto n = net.b().tcp().receive(server, buffer, false, net.now())) {
        if (*n == 0) break;
        bytes_received += *n;
        progress = true;
      }
    }
    return progress;
  };
  const bool all_arrived =
      net.run_until([&] { return bytes_received == kConnections * message.size(); }, step,
                    net.now() + seconds(120));
  ASSERT_TRUE(all_arrived) << bytes_received << " bytes, " << servers.size() << " accepted";
  EXPECT_EQ(net.a().tcp().connection_count(), static_cast<std::size_t>(kConnections));
  EXPECT_EQ(net.b().tcp().connection_count(), static_cast<std::size_t>(kConnections));
  for (const SocketHandle client : clients) net.a().tcp().close(client, net.now());
  for (const SocketHandle server : servers) net.b().tcp().close(server, net.now());
  net.run_until(
      [&] {
        return net.a().tcp().connection_count() == 0 && net.b().tcp().connection_count() == 0;
      },
      [&] { return false; }, net.now() + seconds(120));
  EXPECT_EQ(net.a().tcp().connection_count(), 0U);
  EXPECT_EQ(net.b().tcp().connection_count(), 0U);
  EXPECT_EQ(net.a().tcp().socket_count(), 0U);
  EXPECT_EQ(net.b().tcp().socket_count(), 1U);  // the listener
  EXPECT_EQ(net.a().counters().get(Counter::tcp_retransmit_timeouts), 0U);
}

}  // namespace
}  // namespace tapstack::sim
