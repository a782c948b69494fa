// UdpLayer sockets: bind (explicit, ephemeral, conflicts, SO_REUSEADDR), connect and
// disconnect, handles, between two stacks on virtual time.
#include <set>

#include "unit/stack/udp/udp_sim_fixture.hpp"

namespace tapstack::test {
namespace {

const UdpSocketOptions kReuse{.reuse_address = true};

using UdpBind = UdpSimTest;

TEST_F(UdpBind, BindsAnAddressOfOursOrTheWildcard) {
  const SocketHandle s1 = open_bound(b(), {kAddrB, 5000});
  EXPECT_EQ(local(b(), s1), (SocketAddress{kAddrB, 5000}));
  const SocketHandle s2 = open_bound(b(), {Ipv4Addr::any(), 5001});
  EXPECT_EQ(local(b(), s2), (SocketAddress{Ipv4Addr::any(), 5001}));
  // Linux lets a datagram socket bind a broadcast address (it then hears broadcasts only).
  open_bound(b(), {Ipv4Addr(10, 0, 0, 255), 5002});

  const SocketHandle s3 = open(b());
  EXPECT_EQ(b().bind(s3, {Ipv4Addr(10, 0, 0, 99), 5003}).error(),
            SocketError::address_not_available);
  EXPECT_EQ(b().bind(s3, {kAddrA, 5003}).error(), SocketError::address_not_available);
  EXPECT_EQ(local(b(), s3), (SocketAddress{}));  // still unbound
  EXPECT_TRUE(b().bind(s3, {kAddrB, 5003}));
  EXPECT_EQ(b().bind(s3, {kAddrB, 5004}).error(), SocketError::invalid_argument);  // bound
}

TEST_F(UdpBind, PortZeroPicksDistinctEphemeralPorts) {
  std::set<std::uint16_t> ports;
  for (int i = 0; i < 50; ++i) {
    const std::uint16_t port = local(a(), open_bound(a(), {Ipv4Addr::any(), 0})).port;
    EXPECT_GE(port, 32768);
    EXPECT_LE(port, 60999);
    ports.insert(port);
  }
  EXPECT_EQ(ports.size(), 50u);
}

TEST_F(UdpBind, OverlappingBindsClashWithoutReuse) {
  const SocketHandle wildcard = open_bound(b(), {Ipv4Addr::any(), 5000});
  const SocketHandle other = open(b());
  EXPECT_EQ(b().bind(other, {Ipv4Addr::any(), 5000}).error(), SocketError::address_in_use);
  EXPECT_EQ(b().bind(other, {kAddrB, 5000}).error(), SocketError::address_in_use);
  EXPECT_TRUE(b().bind(other, {kAddrB, 5001}));  // another port is free
  b().close(wildcard);
  const SocketHandle again = open(b());
  EXPECT_TRUE(b().bind(again, {kAddrB, 5000}));  // the port was released by close
  EXPECT_EQ(b().bind(open(b()), {Ipv4Addr::any(), 5000}).error(), SocketError::address_in_use);
}

// SO_REUSEADDR for UDP (Linux): sharing a port needs the option on both sockets.
TEST_F(UdpBind, ReuseAddressNeedsTheOptionOnBothSockets) {
  open_bound(b(), {Ipv4Addr::any(), 5000}, kReuse);
  EXPECT_EQ(b().bind(open(b()), {Ipv4Addr::any(), 5000}).error(), SocketError::address_in_use);
  EXPECT_TRUE(b().bind(open(b(), kReuse), {Ipv4Addr::any(), 5000}));
  EXPECT_TRUE(b().bind(open(b(), kReuse), {kAddrB, 5000}));

  open_bound(b(), {Ipv4Addr::any(), 6000});
  EXPECT_EQ(b().bind(open(b(), kReuse), {Ipv4Addr::any(), 6000}).error(),
            SocketError::address_in_use);
}

// Without SO_REUSEPORT Linux hands a unicast datagram to one socket: the best match, and among
// equal matches the one bound last.
TEST_F(UdpBind, ReusedPortDeliversToTheMostRecentlyBound) {
  const SocketHandle first = open_bound(b(), {Ipv4Addr::any(), 5000}, kReuse);
  const SocketHandle second = open_bound(b(), {Ipv4Addr::any(), 5000}, kReuse);
  const SocketHandle client = open(a());
  ASSERT_TRUE(send_to(a(), client, {kAddrB, 5000}, "one"));
  run();
  EXPECT_EQ(receive(b(), second)->text, "one");
  EXPECT_EQ(receive(b(), first).error(), SocketError::would_block);

  b().close(second);
  ASSERT_TRUE(send_to(a(), client, {kAddrB, 5000}, "two"));
  run();
  EXPECT_EQ(receive(b(), first)->text, "two");
}

TEST_F(UdpBind, AnExactAddressBeatsTheWildcardWhateverTheOrder) {
  const SocketHandle exact = open_bound(b(), {kAddrB, 5000}, kReuse);
  const SocketHandle wildcard = open_bound(b(), {Ipv4Addr::any(), 5000}, kReuse);
  const SocketHandle client = open(a());
  ASSERT_TRUE(send_to(a(), client, {kAddrB, 5000}, "to the exact one"));
  run();
  EXPECT_EQ(receive(b(), exact)->text, "to the exact one");
  EXPECT_EQ(receive(b(), wildcard).error(), SocketError::would_block);
}

TEST_F(UdpBind, StaleAndUnknownHandlesAreBad) {
  const SocketHandle socket = open_bound(a(), {Ipv4Addr::any(), 5000});
  a().close(socket);
  const SocketHandle reused = open(a());
  EXPECT_EQ(reused.index, socket.index);  // the slot is reused with a new generation
  EXPECT_EQ(a().bind(socket, {Ipv4Addr::any(), 5001}).error(), SocketError::bad_handle);
  EXPECT_EQ(send_to(a(), socket, {kAddrB, 9}, "x").error(), SocketError::bad_handle);
  EXPECT_EQ(receive(a(), socket).error(), SocketError::bad_handle);
  EXPECT_EQ(a().local_address(SocketHandle{99, 0}).error(), SocketError::bad_handle);
  EXPECT_FALSE(a().take_error(socket).has_value());
  a().close(socket);  // harmless
  EXPECT_EQ(a().socket_count(), 1u);
}

using UdpConnect = UdpSimTest;

TEST_F(UdpConnect, FixesPeerSourceAddressAndAnEphemeralPort) {
  const SocketHandle server = open_bound(b(), {Ipv4Addr::any(), 7000});
  const SocketHandle client = open(a());
  ASSERT_TRUE(a().connect(client, {kAddrB, 7000}));
  const SocketAddress me = local(a(), client);
  EXPECT_EQ(me.address, kAddrA);  // the route's source, as Linux shows after connect
  EXPECT_GE(me.port, 32768);
  EXPECT_EQ(a().remote_address(client).value(), (SocketAddress{kAddrB, 7000}));

  ASSERT_EQ(send(a(), client, "hello").value(), 5u);
  run();
  const auto got = receive(b(), server);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->text, "hello");
  EXPECT_EQ(got->source, me);
}

TEST_F(UdpConnect, AcceptsDatagramsFromThePeerOnly) {
  const SocketHandle server = open_bound(b(), {Ipv4Addr::any(), 7000});
  const SocketHandle peer = open_bound(a(), {Ipv4Addr::any(), 4000});
  const SocketHandle stranger = open_bound(a(), {Ipv4Addr::any(), 4001});
  ASSERT_TRUE(b().connect(server, {kAddrA, 4000}));

  ASSERT_TRUE(send_to(a(), stranger, {kAddrB, 7000}, "from a stranger"));
  ASSERT_TRUE(send_to(a(), peer, {kAddrB, 7000}, "from the peer"));
  run();
  EXPECT_EQ(receive(b(), server)->text, "from the peer");
  EXPECT_EQ(receive(b(), server).error(), SocketError::would_block);
  // Nobody wanted the stranger's datagram: counted, and answered with port unreachable.
  EXPECT_EQ(b_count(Counter::udp_rx_no_port), 1u);
  EXPECT_EQ(b_count(Counter::icmp_tx_dest_unreachable), 1u);
}

TEST_F(UdpConnect, DisconnectAcceptsEveryoneAgainAndReleasesWhatBindDidNotSet) {
  const SocketHandle explicit_port = open_bound(b(), {Ipv4Addr::any(), 7000});
  ASSERT_TRUE(b().connect(explicit_port, {kAddrA, 4000}));
  EXPECT_EQ(local(b(), explicit_port), (SocketAddress{kAddrB, 7000}));
  ASSERT_TRUE(b().disconnect(explicit_port));
  EXPECT_EQ(local(b(), explicit_port), (SocketAddress{Ipv4Addr::any(), 7000}));
  EXPECT_EQ(b().remote_address(explicit_port).error(), SocketError::not_connected);
  EXPECT_EQ(send(b(), explicit_port, "x").error(), SocketError::destination_required);

  const SocketHandle stranger = open(a());
  ASSERT_TRUE(send_to(a(), stranger, {kAddrB, 7000}, "anyone"));
  run();
  EXPECT_EQ(receive(b(), explicit_port)->text, "anyone");

  // An autobound port and the address chosen by connect are given back.
  const SocketHandle autobound = open(b());
  ASSERT_TRUE(b().connect(autobound, {kAddrA, 4000}));
  EXPECT_NE(local(b(), autobound).port, 0);
  ASSERT_TRUE(b().disconnect(autobound));
  EXPECT_EQ(local(b(), autobound), (SocketAddress{}));
  // An explicit address stays.
  const SocketHandle exact = open_bound(b(), {kAddrB, 0});
  ASSERT_TRUE(b().connect(exact, {kAddrA, 4000}));
  ASSERT_TRUE(b().disconnect(exact));
  EXPECT_EQ(local(b(), exact).address, kAddrB);
  EXPECT_EQ(local(b(), exact).port, 0);
}

TEST_F(UdpConnect, RejectsDestinationsItCannotReach) {
  const SocketHandle socket = open(a());
  EXPECT_EQ(a().connect(socket, {kAddrB, 0}).error(), SocketError::invalid_argument);
  EXPECT_EQ(a().connect(socket, {Ipv4Addr::any(), 7}).error(), SocketError::invalid_argument);
  EXPECT_EQ(a().connect(socket, {Ipv4Addr(224, 0, 0, 1), 7}).error(),
            SocketError::invalid_argument);
  EXPECT_EQ(a().connect(socket, {Ipv4Addr(192, 168, 1, 1), 7}).error(),
            SocketError::network_unreachable);  // no default route
  EXPECT_EQ(a().connect(socket, {Ipv4Addr(10, 0, 0, 255), 7}).error(),
            SocketError::access_denied);             // broadcast without SO_BROADCAST
  EXPECT_EQ(local(a(), socket), (SocketAddress{}));  // nothing was bound by the failures
  ASSERT_TRUE(a().set_options(socket, UdpSocketOptions{.broadcast = true}));
  EXPECT_TRUE(a().connect(socket, {Ipv4Addr(10, 0, 0, 255), 7}));
}

TEST_F(UdpConnect, ConnectAgainChangesThePeer) {
  const SocketHandle one = open_bound(b(), {Ipv4Addr::any(), 7001});
  const SocketHandle two = open_bound(b(), {Ipv4Addr::any(), 7002});
  const SocketHandle client = open(a());
  ASSERT_TRUE(a().connect(client, {kAddrB, 7001}));
  const SocketAddress me = local(a(), client);
  ASSERT_TRUE(a().connect(client, {kAddrB, 7002}));
  EXPECT_EQ(local(a(), client), me);  // the same port and address
  ASSERT_TRUE(send(a(), client, "second"));
  run();
  EXPECT_EQ(receive(b(), two)->text, "second");
  EXPECT_EQ(receive(b(), one).error(), SocketError::would_block);
}

}  // namespace
}  // namespace tapstack::test
