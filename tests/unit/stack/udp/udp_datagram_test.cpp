// UdpLayer datagrams end to end between two stacks: send/receive with the source, MSG_PEEK and
// MSG_TRUNC semantics, empty and maximal datagrams (fragmented and reassembled), bounded
// receive queues, events, back-pressure, ECONNREFUSED from ICMP port unreachable, broadcast.
#include "support/frames.hpp"
#include "unit/stack/udp/udp_sim_fixture.hpp"

namespace tapstack::test {
namespace {

using UdpDatagram = UdpSimTest;

TEST_F(UdpDatagram, ReceiveFromReportsTheSourceForTheReply) {
  const SocketHandle server = open_bound(b(), {Ipv4Addr::any(), 9000});
  const SocketHandle client = open(a());  // unbound: send_to binds an ephemeral port
  ASSERT_EQ(send_to(a(), client, {kAddrB, 9000}, "ping").value(), 4u);
  const SocketAddress client_address = local(a(), client);
  EXPECT_EQ(client_address.address, Ipv4Addr::any());
  EXPECT_GE(client_address.port, 32768);
  run();
  const auto request = receive(b(), server);
  ASSERT_TRUE(request);
  EXPECT_EQ(request->text, "ping");
  EXPECT_EQ(request->source, (SocketAddress{kAddrA, client_address.port}));
  EXPECT_EQ(request->destination, kAddrB);

  ASSERT_TRUE(send_to(b(), server, request->source, "pong"));
  run();
  const auto reply = receive(a(), client);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->text, "pong");
  EXPECT_EQ(reply->source, (SocketAddress{kAddrB, 9000}));
  EXPECT_EQ(a_count(Counter::udp_tx_datagrams), 1u);
  EXPECT_EQ(a_count(Counter::udp_rx_datagrams), 1u);
  EXPECT_EQ(b_count(Counter::udp_rx_datagrams), 1u);
}

TEST_F(UdpDatagram, SendNeedsAPeerAndReceiveWouldBlockWhenEmpty) {
  const SocketHandle socket = open(a());
  EXPECT_EQ(send(a(), socket, "x").error(), SocketError::destination_required);
  EXPECT_EQ(receive(a(), socket).error(), SocketError::would_block);
  EXPECT_EQ(send_to(a(), socket, {kAddrB, 0}, "x").error(), SocketError::invalid_argument);
}

TEST_F(UdpDatagram, PeekLeavesTheDatagramQueued) {
  const SocketHandle server = open_bound(b(), {Ipv4Addr::any(), 9000});
  const SocketHandle client = open(a());
  ASSERT_TRUE(send_to(a(), client, {kAddrB, 9000}, "first"));
  ASSERT_TRUE(send_to(a(), client, {kAddrB, 9000}, "second"));
  run();
  EXPECT_EQ(receive(b(), server, 4096, true)->text, "first");
  EXPECT_EQ(receive(b(), server, 4096, true)->text, "first");
  EXPECT_EQ(receive(b(), server)->text, "first");
  EXPECT_EQ(receive(b(), server)->text, "second");
}

// MSG_TRUNC: the caller learns the datagram's real length; the rest is discarded (not peeked).
TEST_F(UdpDatagram, ATruncatedReceiveReportsTheWholeLengthAndDropsTheRest) {
  const SocketHandle server = open_bound(b(), {Ipv4Addr::any(), 9000});
  const SocketHandle client = open(a());
  ASSERT_TRUE(send_to(a(), client, {kAddrB, 9000}, "0123456789"));
  ASSERT_TRUE(send_to(a(), client, {kAddrB, 9000}, "next"));
  run();
  const auto peeked = receive(b(), server, 4, true);
  EXPECT_EQ(peeked->text, "0123");
  EXPECT_EQ(peeked->datagram_size, 10u);
  const auto got = receive(b(), server, 4);
  EXPECT_EQ(got->text, "0123");
  EXPECT_EQ(got->datagram_size, 10u);
  EXPECT_EQ(receive(b(), server)->text, "next");
}

TEST_F(UdpDatagram, EmptyDatagramsAreDatagrams) {
  const SocketHandle server = open_bound(b(), {Ipv4Addr::any(), 9000});
  const SocketHandle client = open(a());
  ASSERT_EQ(send_to(a(), client, {kAddrB, 9000}, "").value(), 0u);
  run();
  const auto event = b().pop_event();
  ASSERT_TRUE(event);
  EXPECT_EQ(event->events, udp_event::readable);
  const auto got = receive(b(), server);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->text, "");
  EXPECT_EQ(got->datagram_size, 0u);
  EXPECT_EQ(receive(b(), server).error(), SocketError::would_block);
}

TEST_F(UdpDatagram, TheLargestDatagramIsFragmentedAndReassembled) {
  const SocketHandle server = open_bound(b(), {Ipv4Addr::any(), 9000});
  const SocketHandle client = open(a());
  ASSERT_TRUE(send_to(a(), client, {kAddrB, 9000}, "resolve ARP first"));
  run();
  ASSERT_TRUE(receive(b(), server));

  const auto data = pattern(UdpLayer::kMaxPayload);
  ASSERT_EQ(a().send_to(client, {kAddrB, 9000}, data, net_.now()).value(), 65507u);
  run();
  // 65515 bytes of UDP in 1480-byte fragments (RFC 791 §3.2: multiples of 8).
  EXPECT_EQ(a_count(Counter::ipv4_tx_fragmented), 1u);
  EXPECT_EQ(a_count(Counter::ipv4_tx_fragments), 45u);
  EXPECT_EQ(b_count(Counter::ipv4_frag_reassembled), 1u);
  std::vector<std::byte> out(70000);
  const auto got = b().receive(server, out, false);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->size, 65507u);
  EXPECT_TRUE(std::equal(data.begin(), data.end(), out.begin()));

  const auto too_big = pattern(UdpLayer::kMaxPayload + 1);
  EXPECT_EQ(a().send_to(client, {kAddrB, 9000}, too_big, net_.now()).error(),
            SocketError::message_too_long);
}

TEST_F(UdpDatagram, AFullReceiveQueueDropsAndCounts) {
  const std::size_t per_datagram = 100 + UdpReceiveQueue::kDatagramOverhead;
  const SocketHandle server = open_bound(b(), {Ipv4Addr::any(), 9000},
                                         UdpSocketOptions{.receive_buffer = 3 * per_datagram});
  const SocketHandle client = open(a());
  const std::string hundred(100, 'x');
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(send_to(a(), client, {kAddrB, 9000}, hundred));
  run();
  EXPECT_EQ(b_count(Counter::udp_drop_receive_queue_full), 2u);
  EXPECT_EQ(b_count(Counter::udp_rx_datagrams), 3u);
  const auto summary = b().snapshot();
  ASSERT_EQ(summary.size(), 1u);
  EXPECT_EQ(summary[0].queued_datagrams, 3u);
  EXPECT_EQ(summary[0].queued_bytes, 3 * per_datagram);
  EXPECT_EQ(summary[0].receive_buffer, 3 * per_datagram);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(receive(b(), server));
  EXPECT_EQ(receive(b(), server).error(), SocketError::would_block);
  // Drained: room again.
  ASSERT_TRUE(send_to(a(), client, {kAddrB, 9000}, hundred));
  run();
  EXPECT_TRUE(receive(b(), server));
}

TEST_F(UdpDatagram, ReadableFiresWhenTheQueueBecomesNonEmpty) {
  const SocketHandle server = open_bound(b(), {Ipv4Addr::any(), 9000});
  const SocketHandle client = open(a());
  ASSERT_TRUE(send_to(a(), client, {kAddrB, 9000}, "1"));
  ASSERT_TRUE(send_to(a(), client, {kAddrB, 9000}, "2"));
  run();
  const auto event = b().pop_event();
  ASSERT_TRUE(event);
  EXPECT_EQ(event->socket, server);
  EXPECT_EQ(event->events, udp_event::readable);
  EXPECT_FALSE(b().pop_event());  // one event for both
  ASSERT_TRUE(receive(b(), server));
  ASSERT_TRUE(send_to(a(), client, {kAddrB, 9000}, "3"));
  run();
  EXPECT_FALSE(b().pop_event());  // the queue was not empty
  ASSERT_TRUE(receive(b(), server));
  ASSERT_TRUE(receive(b(), server));
  ASSERT_TRUE(send_to(a(), client, {kAddrB, 9000}, "4"));
  run();
  EXPECT_TRUE(b().pop_event());
  b().close(server);
  EXPECT_FALSE(b().pop_event());
}

TEST_F(UdpDatagram, ClosedSocketsReportNoEvents) {
  const SocketHandle server = open_bound(b(), {Ipv4Addr::any(), 9000});
  const SocketHandle client = open(a());
  ASSERT_TRUE(send_to(a(), client, {kAddrB, 9000}, "1"));
  run();
  b().close(server);
  EXPECT_FALSE(b().pop_event());
  EXPECT_EQ(b().socket_count(), 0u);
}

// RFC 1122 §4.1.3.3 and Linux: a port unreachable reaches a connected socket as ECONNREFUSED
// on its next call, once.
TEST_F(UdpDatagram, PortUnreachableRefusesTheNextCallOfAConnectedSocket) {
  const SocketHandle client = open(a());
  ASSERT_TRUE(a().connect(client, {kAddrB, 9999}));  // nobody listens there
  ASSERT_TRUE(send(a(), client, "anyone?"));
  run();
  EXPECT_EQ(b_count(Counter::udp_rx_no_port), 1u);
  EXPECT_EQ(b_count(Counter::icmp_tx_dest_unreachable), 1u);
  EXPECT_EQ(a_count(Counter::udp_connection_refused), 1u);
  const auto event = a().pop_event();
  ASSERT_TRUE(event);
  EXPECT_EQ(event->events, udp_event::error | udp_event::readable);
  EXPECT_EQ(send(a(), client, "again").error(), SocketError::connection_refused);
  EXPECT_TRUE(send(a(), client, "and again"));  // reported once
  run();
  // The second datagram was refused too: now receive() reports it, before any datagram.
  EXPECT_EQ(receive(a(), client).error(), SocketError::connection_refused);
  EXPECT_EQ(receive(a(), client).error(), SocketError::would_block);
}

TEST_F(UdpDatagram, TakeErrorClearsThePendingError) {
  const SocketHandle client = open(a());
  ASSERT_TRUE(a().connect(client, {kAddrB, 9999}));
  ASSERT_TRUE(send(a(), client, "x"));
  run();
  EXPECT_EQ(a().take_error(client), SocketError::connection_refused);
  EXPECT_FALSE(a().take_error(client).has_value());
  EXPECT_TRUE(send(a(), client, "y"));
}

TEST_F(UdpDatagram, UnconnectedSocketsIgnorePortUnreachable) {
  const SocketHandle client = open(a());
  ASSERT_TRUE(send_to(a(), client, {kAddrB, 9999}, "anyone?"));
  run();
  EXPECT_EQ(a_count(Counter::icmp_rx_dest_unreachable), 1u);
  EXPECT_EQ(a_count(Counter::udp_connection_refused), 0u);
  EXPECT_FALSE(a().pop_event());
  EXPECT_FALSE(a().take_error(client).has_value());
  EXPECT_TRUE(send_to(a(), client, {kAddrB, 9999}, "still fine"));
}

TEST_F(UdpDatagram, BroadcastNeedsTheOption) {
  const SocketHandle client = open(a());
  const SocketAddress subnet{Ipv4Addr(10, 0, 0, 255), 9000};
  EXPECT_EQ(send_to(a(), client, subnet, "all").error(), SocketError::access_denied);
  ASSERT_TRUE(a().set_options(client, UdpSocketOptions{.broadcast = true}));
  EXPECT_TRUE(send_to(a(), client, subnet, "all"));
  EXPECT_TRUE(a().options(client)->broadcast);
}

// Linux delivers a broadcast to every socket that matches: INADDR_ANY or the broadcast
// address itself, not a socket bound to a unicast address.
TEST_F(UdpDatagram, BroadcastsReachEveryWildcardSocketAndNoUnicastOne) {
  const UdpSocketOptions reuse{.reuse_address = true};
  const SocketHandle any1 = open_bound(b(), {Ipv4Addr::any(), 9000}, reuse);
  const SocketHandle any2 = open_bound(b(), {Ipv4Addr::any(), 9000}, reuse);
  const SocketHandle unicast = open_bound(b(), {kAddrB, 9000}, reuse);
  const SocketHandle directed = open_bound(b(), {Ipv4Addr(10, 0, 0, 255), 9000}, reuse);
  const SocketHandle client = open(a(), UdpSocketOptions{.broadcast = true});
  ASSERT_TRUE(send_to(a(), client, {Ipv4Addr(10, 0, 0, 255), 9000}, "directed"));
  run();
  const auto directed_copy = receive(b(), any1);
  EXPECT_EQ(directed_copy->text, "directed");
  EXPECT_EQ(directed_copy->destination, Ipv4Addr(10, 0, 0, 255));
  EXPECT_EQ(receive(b(), any2)->text, "directed");
  EXPECT_EQ(receive(b(), directed)->text, "directed");
  EXPECT_EQ(receive(b(), unicast).error(), SocketError::would_block);
  EXPECT_EQ(b_count(Counter::udp_rx_datagrams), 1u);  // one datagram, three copies

  // The limited broadcast goes out through the default route's interface.
  ASSERT_TRUE(net_.a().set_default_gateway(kAddrB));
  ASSERT_TRUE(send_to(a(), client, {Ipv4Addr::broadcast(), 9000}, "limited"));
  run();
  const auto got = receive(b(), any1);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->text, "limited");
  EXPECT_EQ(got->source.address, kAddrA);
  EXPECT_EQ(got->destination, Ipv4Addr::broadcast());
  EXPECT_EQ(receive(b(), directed).error(), SocketError::would_block);  // not its address
}

TEST_F(UdpDatagram, BroadcastsNobodyWantsAreIgnoredWithoutAnError) {
  const SocketHandle client = open(a(), UdpSocketOptions{.broadcast = true});
  ASSERT_TRUE(send_to(a(), client, {Ipv4Addr(10, 0, 0, 255), 9000}, "anyone?"));
  run();
  EXPECT_EQ(b_count(Counter::udp_rx_ignored_broadcast), 1u);
  EXPECT_EQ(b_count(Counter::udp_rx_no_port), 0u);
  EXPECT_EQ(b_count(Counter::icmp_tx_dest_unreachable), 0u);  // RFC 1122 §4.1.3.1
}

class UdpBackPressure : public UdpSimTest {
 protected:
  static sim::SimSettings small_queue() {
    sim::SimSettings settings;
    settings.tx_queue_frames = 200;
    return settings;
  }
  UdpBackPressure() : UdpSimTest(small_queue()) {}
};

// A sender that would fill the device queue gets would_block, then `writable` once the queue
// drained enough for its datagram (and the control reserve).
TEST_F(UdpBackPressure, WouldBlockThenWritable) {
  const SocketHandle server =
      open_bound(b(), {Ipv4Addr::any(), 9000}, UdpSocketOptions{.receive_buffer = 1 << 20});
  const SocketHandle client = open(a());
  ASSERT_TRUE(send_to(a(), client, {kAddrB, 9000}, "resolve ARP first"));
  run();
  const auto big = pattern(60000);  // 41 fragments
  int sent = 0;
  Result<std::size_t, SocketError> result = 0u;
  while ((result = a().send_to(client, {kAddrB, 9000}, big, net_.now()))) ++sent;
  EXPECT_EQ(result.error(), SocketError::would_block);
  // 200 frames: a fourth 41 would leave less than the reserve, 50 (a quarter of the queue).
  EXPECT_EQ(sent, 3);
  EXPECT_FALSE(a().pop_event());
  EXPECT_EQ(a().next_deadline(), kNever);  // nothing to do until frames leave

  run();  // the link takes the frames; poll() reports the room
  const auto event = a().pop_event();
  ASSERT_TRUE(event);
  EXPECT_EQ(event->socket, client);
  EXPECT_EQ(event->events, udp_event::writable);
  EXPECT_TRUE(a().send_to(client, {kAddrB, 9000}, big, net_.now()));
  run();
  int received = 0;
  while (receive(b(), server, 65536)) ++received;
  EXPECT_EQ(received, 1 + 4);
}

TEST(UdpBackPressureLimits, ADatagramLargerThanTheWholeQueueIsNoBufferSpace) {
  sim::SimSettings settings;
  settings.tx_queue_frames = 30;
  sim::SimNetwork net(settings);
  net.settle([] { return false; });  // the ARP announcements leave: the queue is idle
  const auto socket = net.a().udp().open({});
  ASSERT_TRUE(socket);
  const auto big = pattern(60000);  // 41 fragments
  EXPECT_EQ(net.a().udp().send_to(*socket, {kAddrB, 9000}, big, net.now()).error(),
            SocketError::no_buffer_space);
  // 24 fragments: more than the queue minus its reserve (30 - 7), but the queue is idle.
  const auto small = pattern(35000);
  EXPECT_TRUE(net.a().udp().send_to(*socket, {kAddrB, 9000}, small, net.now()));
}

}  // namespace
}  // namespace tapstack::test
