// TCP when an address goes away (issue 9), between two stacks: B has 10.0.0.2 and gets 10.0.0.3
// at run time. Connections on the removed address are reset at both ends, the others go on, and
// a listener bound to it stays but hears nothing more.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "sim/sim_network.hpp"
#include "stack/tcp/tcp_layer.hpp"
#include "stack/wire/ipv4.hpp"
#include "stack/wire/tcp.hpp"

namespace tapstack {
namespace {

using sim::kAddrA;
using sim::kAddrB;
using sim::SimNetwork;
using std::chrono::seconds;

const Ipv4Addr kAddrB2{10, 0, 0, 3};
constexpr std::uint16_t kPort = 80;
constexpr InterfaceId kInterface = 0;  // each stack's only interface

// A TCP segment seen on the link, parsed.
struct SeenSegment {
  bool a_to_b;
  Ipv4Addr source;
  Ipv4Addr destination;
  std::uint16_t source_port;
  std::uint8_t flags;
};

class StackAddressesTcp : public ::testing::Test {
 protected:
  StackAddressesTcp() : net_(sim::SimSettings{}) {
    EXPECT_TRUE(net_.b().add_address(kInterface, Ipv4Cidr{kAddrB2, 24}, net_.now()));
    net_.observe_frames([this](bool a_to_b, wire::Bytes frame, Instant) {
      if (frame.size() < 14 || wire::load16(frame, 12) != 0x0800) return;
      const auto ip = wire::Ipv4View::check(frame.subspan(14));
      if (!ip || ip->protocol() != 6) return;
      const auto tcp = wire::TcpView::check(ip->payload(), ip->source(), ip->destination());
      if (!tcp) return;
      seen_.push_back({a_to_b, ip->source(), ip->destination(), tcp->source_port(), tcp->flags()});
    });
  }

  TcpLayer& a() { return net_.a().tcp(); }
  TcpLayer& b() { return net_.b().tcp(); }
  std::uint64_t a_count(Counter c) { return net_.a().counters().get(c); }
  std::uint64_t b_count(Counter c) { return net_.b().counters().get(c); }

  void run_for(Duration d) {
    net_.run_until([] { return false; }, [] { return false; }, net_.now() + d);
  }

  TcpState state(TcpLayer& layer, SocketHandle socket) {
    const TcpConnection* connection = layer.connection(socket);
    return connection != nullptr ? connection->state() : TcpState::closed;
  }

  // A connection from A to `address`:kPort, accepted by B's `listener`: {client, server}.
  std::pair<SocketHandle, SocketHandle> open(Ipv4Addr address, SocketHandle listener) {
    const auto client = a().connect({}, {address, kPort}, {}, net_.now());
    EXPECT_TRUE(client);
    run_for(seconds(1));
    const auto server = b().accept(listener);
    EXPECT_TRUE(server);
    EXPECT_EQ(state(a(), *client), TcpState::established);
    return {*client, server.value_or(SocketHandle{})};
  }

  void write(TcpLayer& layer, SocketHandle socket, std::string_view text) {
    const auto sent = layer.send(socket, std::as_bytes(std::span{text}), net_.now());
    ASSERT_TRUE(sent.has_value());
    ASSERT_EQ(*sent, text.size());
  }

  std::string read(TcpLayer& layer, SocketHandle socket) {
    std::array<std::byte, 256> buffer{};
    const auto n = layer.receive(socket, buffer, false, net_.now());
    if (!n) return "<" + std::string(to_string(n.error())) + ">";
    return std::string(reinterpret_cast<const char*>(buffer.data()), *n);
  }

  // Events B reported for `socket` since the last call.
  std::uint8_t events_of(TcpLayer& layer, SocketHandle socket) {
    std::uint8_t events = 0;
    while (const auto event = layer.pop_event()) {
      if (event->socket == socket) events |= event->events;
    }
    return events;
  }

  SimNetwork net_;
  std::vector<SeenSegment> seen_;
};

TEST_F(StackAddressesTcp, ConnectionsOnTheRemovedAddressResetAndOthersSurvive) {
  const auto listener = b().listen({Ipv4Addr::any(), kPort}, 8, {});
  ASSERT_TRUE(listener);
  const auto [doomed_client, doomed_server] = open(kAddrB2, *listener);
  const auto [client, server] = open(kAddrB, *listener);
  EXPECT_EQ(b().local_address(doomed_server)->address, kAddrB2);
  while (b().pop_event()) {
  }
  seen_.clear();

  ASSERT_TRUE(net_.b().remove_address(kInterface, kAddrB2, net_.now()));
  // B's end: closed at once, the owner told connection_reset with an error event.
  EXPECT_EQ(state(b(), doomed_server), TcpState::closed);
  EXPECT_NE(events_of(b(), doomed_server) & tcp_event::error, 0);
  EXPECT_EQ(b().take_error(doomed_server), SocketError::connection_reset);
  EXPECT_EQ(b_count(Counter::tcp_reset_address_removed), 1u);
  EXPECT_EQ(b_count(Counter::tcp_estab_resets), 1u);

  // A's end: one RST from the removed address, in window (A accepts it, RFC 5961 §3.2).
  run_for(seconds(1));
  std::erase_if(seen_, [](const SeenSegment& s) { return s.source != kAddrB2; });
  ASSERT_EQ(seen_.size(), 1u);
  EXPECT_FALSE(seen_[0].a_to_b);
  EXPECT_EQ(seen_[0].source, kAddrB2);
  EXPECT_EQ(seen_[0].destination, kAddrA);
  EXPECT_EQ(seen_[0].source_port, kPort);
  EXPECT_EQ(seen_[0].flags, wire::TcpFlags::rst | wire::TcpFlags::ack);
  EXPECT_EQ(state(a(), doomed_client), TcpState::closed);
  EXPECT_EQ(a().take_error(doomed_client), SocketError::connection_reset);
  EXPECT_EQ(a_count(Counter::tcp_rx_resets), 1u);

  // The connection on 10.0.0.2 goes on both ways.
  write(a(), client, "still here");
  write(b(), server, "me too");
  run_for(seconds(1));
  EXPECT_EQ(read(b(), server), "still here");
  EXPECT_EQ(read(a(), client), "me too");
  EXPECT_EQ(state(b(), server), TcpState::established);
  EXPECT_EQ(b_count(Counter::tcp_reset_address_removed), 1u);
}

TEST_F(StackAddressesTcp, ConnectionsNotYetAcceptedAndOrphansAreResetAndFreed) {
  const auto listener = b().listen({Ipv4Addr::any(), kPort}, 8, {});
  ASSERT_TRUE(listener);
  const auto [orphan_client, orphan_server] = open(kAddrB2, *listener);
  b().close(orphan_server, net_.now());  // FIN-WAIT: finishing on its own
  const auto queued_client = a().connect({}, {kAddrB2, kPort}, {}, net_.now());
  ASSERT_TRUE(queued_client);
  run_for(seconds(1));  // established, waiting in B's accept queue
  ASSERT_EQ(b().snapshot().size(), 3u);

  ASSERT_TRUE(net_.b().remove_address(kInterface, kAddrB2, net_.now()));
  EXPECT_EQ(b_count(Counter::tcp_reset_address_removed), 2u);
  const auto sockets = b().snapshot();
  ASSERT_EQ(sockets.size(), 1u);  // only the listener is left
  EXPECT_EQ(sockets[0].state, TcpState::listen);
  EXPECT_EQ(b().accept(*listener).error(), SocketError::would_block);
  run_for(seconds(1));
  EXPECT_EQ(state(a(), *queued_client), TcpState::closed);
  EXPECT_EQ(a().take_error(*queued_client), SocketError::connection_reset);
}

TEST_F(StackAddressesTcp, AnOpeningConnectionFailsWithoutAReset) {
  const Ipv4Addr local{10, 0, 0, 5};
  ASSERT_TRUE(net_.a().add_address(kInterface, Ipv4Cidr{local, 24}, net_.now()));
  // Nobody has 10.0.0.99: the SYN waits for ARP, the connection stays in SYN-SENT.
  const auto client = a().connect({local, 0}, {Ipv4Addr{10, 0, 0, 99}, kPort}, {}, net_.now());
  ASSERT_TRUE(client);
  run_for(seconds(1));
  ASSERT_EQ(state(a(), *client), TcpState::syn_sent);
  ASSERT_TRUE(net_.a().remove_address(kInterface, local, net_.now()));
  // RFC 9293 §3.10.5: ABORT in SYN-SENT sends nothing; the owner still learns of the reset.
  EXPECT_EQ(state(a(), *client), TcpState::closed);
  EXPECT_EQ(a().take_error(*client), SocketError::connection_reset);
  EXPECT_EQ(a_count(Counter::tcp_reset_address_removed), 1u);
  EXPECT_EQ(a_count(Counter::tcp_tx_resets), 0u);
  EXPECT_EQ(a_count(Counter::tcp_attempt_fails), 1u);
  run_for(seconds(10));
  EXPECT_TRUE(seen_.empty());  // no segment ever left, from 10.0.0.5 or otherwise
}

TEST_F(StackAddressesTcp, AListenerOnTheRemovedAddressStaysButHearsNothing) {
  const auto listener = b().listen({kAddrB2, kPort}, 8, {});
  ASSERT_TRUE(listener);
  // A learns B's MAC for 10.0.0.3 (a connection refused on another port), so that its SYNs
  // below reach B rather than dying in ARP.
  ASSERT_TRUE(a().connect({}, {kAddrB2, 9}, {}, net_.now()));
  run_for(seconds(1));
  ASSERT_EQ(b_count(Counter::tcp_tx_resets), 1u);
  ASSERT_TRUE(net_.b().remove_address(kInterface, kAddrB2, net_.now()));
  EXPECT_EQ(b().local_address(*listener)->address, kAddrB2);
  const std::uint64_t segments = b_count(Counter::tcp_rx_segments);
  const std::uint64_t not_for_us = b_count(Counter::ipv4_drop_not_for_us);
  const auto client = a().connect({}, {kAddrB2, kPort}, {}, net_.now());
  ASSERT_TRUE(client);
  run_for(seconds(2));
  // The SYN and its retransmission reach B's IP layer, which no longer takes them: no SYN-ACK
  // and no RST.
  EXPECT_EQ(state(a(), *client), TcpState::syn_sent);
  EXPECT_EQ(b_count(Counter::ipv4_drop_not_for_us), not_for_us + 2);
  EXPECT_EQ(b_count(Counter::tcp_rx_segments), segments);
  EXPECT_EQ(b_count(Counter::tcp_tx_resets), 1u);
  EXPECT_EQ(b().accept(*listener).error(), SocketError::would_block);
  // The address may come back; the listener then hears again.
  ASSERT_TRUE(net_.b().add_address(kInterface, Ipv4Cidr{kAddrB2, 24}, net_.now()));
  run_for(seconds(3));  // A's next SYN retransmission (RTO backed off to 2 s)
  EXPECT_EQ(state(a(), *client), TcpState::established);
  EXPECT_TRUE(b().accept(*listener));
}

}  // namespace
}  // namespace tapstack
