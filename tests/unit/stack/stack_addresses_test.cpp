// Addresses at run time through the whole Stack (issue 9): the table listings, add_address with
// its checks, announcement, ARP and echo answers, and remove_address with the routes it takes
// along. TCP connections on a removed address: stack_addresses_tcp_test.cpp.
#include <string>

#include "stack/ipv4/route_table.hpp"
#include "stack/link/interface.hpp"
#include "stack/tcp/tcp_layer.hpp"
#include "stack/udp/udp_layer.hpp"
#include "support/hex.hpp"
#include "unit/stack/stack_fixture.hpp"

namespace tapstack::test {
namespace {

using std::chrono::seconds;

const Ipv4Addr kSecondIp{10, 0, 0, 7};

std::optional<wire::ArpPacket> arp_of(const Frame& f) {
  const auto eth = wire::EthernetHeader::parse(f);
  if (!eth || eth->ethertype != 0x0806) return std::nullopt;
  const auto arp = wire::ArpPacket::parse(wire::Bytes{f}.subspan(14));
  return arp ? std::optional{*arp} : std::nullopt;
}

std::optional<wire::Ipv4View> ip_of(const Frame& f) {
  if (f.size() < 14 || wire::load16(f, 12) != 0x0800) return std::nullopt;
  auto ip = wire::Ipv4View::check(wire::Bytes{f}.subspan(14));
  return ip ? std::optional{*ip} : std::nullopt;
}

Ipv4Cidr cidr(const char* text) {
  return *Ipv4Cidr::parse(text);
}

class StackAddresses : public StackTest {
 protected:
  void SetUp() override {
    advance(seconds(3));  // past the start-up announcements
    learn_peer();
  }

  Frame arp_request_for(Ipv4Addr target) {
    return arp_frame(wire::ArpOp::request, kPeerMac, kPeerIp, MacAddr{}, target);
  }

  std::optional<RouteSummary> route_for(const char* prefix) {
    for (const RouteSummary& route : stack_.routes()) {
      if (route.prefix == cidr(prefix)) return route;
    }
    return std::nullopt;
  }

  std::vector<Ipv4Cidr> addresses() { return stack_.interfaces().at(0).addresses; }
};

TEST_F(StackAddresses, ListsInterfacesRoutesAndNeighborsAfterAddInterface) {
  const auto interfaces = stack_.interfaces();
  ASSERT_EQ(interfaces.size(), 1u);
  EXPECT_EQ(interfaces[0].id, id_);
  EXPECT_EQ(interfaces[0].mac, kStackMac);
  EXPECT_EQ(interfaces[0].mtu, 1500);
  EXPECT_EQ(interfaces[0].addresses, std::vector{cidr("10.0.0.2/24")});

  const auto routes = stack_.routes();
  ASSERT_EQ(routes.size(), 2u);
  EXPECT_EQ(routes[0].prefix, cidr("10.0.0.0/24"));
  EXPECT_EQ(routes[0].gateway, std::nullopt);
  EXPECT_EQ(routes[0].interface, id_);
  EXPECT_EQ(routes[0].preferred_source, kStackIp);
  EXPECT_EQ(to_string(routes[0].kind), "on-link");
  EXPECT_EQ(routes[1].prefix, cidr("0.0.0.0/0"));
  EXPECT_EQ(routes[1].gateway, kPeerIp);
  EXPECT_EQ(routes[1].preferred_source, kStackIp);
  EXPECT_EQ(to_string(routes[1].kind), "default");
  EXPECT_EQ(to_string(RouteKind::static_route), "static");  // no API adds one yet

  // The peer (learned in SetUp) and an address being resolved, with the packet waiting for it.
  const Ipv4Addr other{10, 0, 0, 9};
  receive(ip_frame(ipv4_packet(ip_header(other, kStackIp, 1), icmp_message(8, 0, 1, {}))));
  advance(seconds(1));
  const auto neighbors = stack_.neighbors(now_);
  ASSERT_EQ(neighbors.size(), 2u);
  EXPECT_EQ(neighbors[0].interface, id_);
  EXPECT_EQ(neighbors[0].ip, kPeerIp);
  EXPECT_EQ(neighbors[0].mac, kPeerMac);
  EXPECT_EQ(to_string(neighbors[0].state), "reachable");
  EXPECT_EQ(neighbors[0].age, seconds(1));
  EXPECT_EQ(neighbors[0].pending_packets, 0u);
  EXPECT_EQ(neighbors[1].ip, other);
  EXPECT_EQ(neighbors[1].mac, std::nullopt);
  EXPECT_EQ(to_string(neighbors[1].state), "incomplete");
  EXPECT_EQ(neighbors[1].requests_sent, 2u);    // the first and one retry
  EXPECT_EQ(neighbors[1].pending_packets, 1u);  // the echo reply
}

TEST_F(StackAddresses, AddedAddressIsAnnouncedTwiceByteForByte) {
  ASSERT_TRUE(stack_.add_address(id_, Ipv4Cidr{kSecondIp, 24}, now_));
  // RFC 5227 §2.3: an ARP request from us for us, sender IP = target IP, to broadcast.
  const auto announcement =
      hex("ffffffffffff 025453000002 0806"
          "0001 0800 06 04 0001 025453000002 0a000007 000000000000 0a000007");
  auto frames = sent();
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0], announcement);
  EXPECT_EQ(stack_.next_deadline(), now_ + seconds(2));
  advance(seconds(2));
  frames = sent();
  ASSERT_EQ(frames.size(), 1u);  // only the new address: 10.0.0.2 was announced at start
  EXPECT_EQ(frames[0], announcement);
  advance(seconds(10));
  EXPECT_TRUE(sent().empty());
  EXPECT_EQ(count(Counter::arp_tx_gratuitous), 4u);
  EXPECT_EQ(count(Counter::ipv4_address_added), 1u);
  EXPECT_EQ(addresses(), (std::vector{cidr("10.0.0.2/24"), cidr("10.0.0.7/24")}));
  EXPECT_EQ(stack_.routes().size(), 2u);  // 10.0.0.0/24 existed: no second route
}

TEST_F(StackAddresses, AddedAddressAnswersArpAndEcho) {
  ASSERT_TRUE(stack_.add_address(id_, Ipv4Cidr{kSecondIp, 24}, now_));
  sent();
  receive(arp_request_for(kSecondIp));
  auto frames = sent();
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0], hex("020000000001 025453000002 0806"
                           "0001 0800 06 04 0002 025453000002 0a000007 020000000001 0a000001"));
  receive(ip_frame(echo_request(16, kSecondIp)));
  frames = sent();
  ASSERT_EQ(frames.size(), 1u);
  const auto ip = ip_of(frames[0]);
  ASSERT_TRUE(ip);
  EXPECT_EQ(ip->source(), kSecondIp);  // RFC 1122 §3.2.2.6: from the address asked
  EXPECT_EQ(ip->destination(), kPeerIp);
  EXPECT_EQ(wire::IcmpHeader::parse(ip->payload())->type, 0);
  EXPECT_EQ(count(Counter::icmp_tx_echo_replies), 1u);
}

TEST_F(StackAddresses, AddressInANewSubnetBringsItsOnLinkRoute) {
  const Ipv4Addr address{192, 168, 5, 1};
  const Ipv4Addr neighbor{192, 168, 5, 9};
  ASSERT_TRUE(stack_.add_address(id_, Ipv4Cidr{address, 24}, now_));
  const auto route = route_for("192.168.5.0/24");
  ASSERT_TRUE(route);
  EXPECT_EQ(route->kind, RouteKind::on_link);
  EXPECT_EQ(route->interface, id_);
  EXPECT_EQ(route->preferred_source, address);
  sent();
  // The echo reply to a neighbour in the new subnet is resolved from the new address.
  const auto icmp = icmp_message(8, 0, 5, pattern(8));
  receive(ip_frame(ipv4_packet(ip_header(neighbor, address, 1), icmp)));
  const auto frames = sent();
  ASSERT_EQ(frames.size(), 1u);
  const auto request = arp_of(frames[0]);
  ASSERT_TRUE(request);
  EXPECT_EQ(request->sender_ip, address);
  EXPECT_EQ(request->target_ip, neighbor);
}

TEST_F(StackAddresses, RejectsAddressesThatAreNotHostAddressesOrAlreadyOurs) {
  struct Case {
    const char* address;
    AddressError error;
  };
  const Case cases[] = {
      {"10.0.0.5/33", AddressError::invalid_prefix},
      {"0.0.0.0/24", AddressError::not_unicast},
      {"0.1.2.3/8", AddressError::not_unicast},
      {"127.0.0.1/8", AddressError::not_unicast},
      {"224.0.0.1/24", AddressError::not_unicast},
      {"240.0.0.1/8", AddressError::not_unicast},
      {"255.255.255.255/32", AddressError::not_unicast},
      {"10.0.0.2/24", AddressError::already_assigned},
      {"10.0.0.2/32", AddressError::already_assigned},
      {"10.0.1.0/24", AddressError::subnet_broadcast},    // the network address
      {"10.0.1.255/24", AddressError::subnet_broadcast},  // the directed broadcast
      {"10.0.0.255/32", AddressError::subnet_broadcast},  // the broadcast of our /24
      {"10.0.0.0/16", AddressError::subnet_broadcast},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.address);
    // The parser refuses /33: that one is built by hand.
    const auto parsed = Ipv4Cidr::parse(c.address);
    const Ipv4Cidr address = parsed ? *parsed : Ipv4Cidr{Ipv4Addr{10, 0, 0, 5}, 33};
    const auto added = stack_.add_address(id_, address, now_);
    ASSERT_FALSE(added);
    EXPECT_EQ(added.error(), c.error);
  }
  EXPECT_EQ(stack_.add_address(7, cidr("10.0.0.5/24"), now_).error(),
            AddressError::no_such_interface);
  EXPECT_EQ(to_string(AddressError::already_assigned), "already_assigned");
  // Nothing changed: no address, no route, no announcement.
  EXPECT_EQ(addresses(), std::vector{cidr("10.0.0.2/24")});
  EXPECT_EQ(stack_.routes().size(), 2u);
  EXPECT_TRUE(sent().empty());
  EXPECT_EQ(count(Counter::ipv4_address_added), 0u);
}

TEST_F(StackAddresses, AcceptsPointToPointAndHostPrefixesButNoSubnetOverOurAddress) {
  // RFC 3021: both addresses of a /31 are host addresses.
  EXPECT_TRUE(stack_.add_address(id_, cidr("10.9.0.0/31"), now_));
  EXPECT_TRUE(stack_.add_address(id_, cidr("10.9.0.1/31"), now_));
  EXPECT_TRUE(stack_.add_address(id_, cidr("10.5.0.255/32"), now_));
  // 10.5.0.1/24 would make our 10.5.0.255 its broadcast address.
  EXPECT_EQ(stack_.add_address(id_, cidr("10.5.0.1/24"), now_).error(),
            AddressError::subnet_broadcast);
  EXPECT_EQ(sent().size(), 3u);
  EXPECT_EQ(count(Counter::ipv4_address_added), 3u);
  EXPECT_TRUE(route_for("10.9.0.0/31"));
  EXPECT_TRUE(route_for("10.5.0.255/32"));
  EXPECT_FALSE(route_for("10.5.0.0/24"));
}

TEST_F(StackAddresses, AddressesPerInterfaceAreBounded) {
  for (std::size_t i = 1; i < Interface::kMaxAddresses; ++i) {
    const Ipv4Addr address{10, 1, 0, static_cast<std::uint8_t>(i)};
    ASSERT_TRUE(stack_.add_address(id_, Ipv4Cidr{address, 24}, now_)) << address.to_string();
    sent();
  }
  EXPECT_EQ(stack_.add_address(id_, cidr("10.1.0.200/24"), now_).error(), AddressError::table_full);
  EXPECT_EQ(addresses().size(), Interface::kMaxAddresses);
}

TEST_F(StackAddresses, AFullRouteTableRefusesTheAddressAndChangesNothing) {
  std::vector<InterfaceId> ids{id_};
  for (std::uint8_t i = 1; i <= 4; ++i) {
    InterfaceSettings settings;
    settings.mac = MacAddr{{0x02, 0, 0, 0, 0x10, i}};
    ids.push_back(stack_.add_interface(settings, now_));
  }
  // Host routes (/32) until the table (256 routes) is full; 5 interfaces hold 320 addresses.
  std::optional<AddressError> error;
  std::uint32_t n = 0;
  for (; n < 400 && !error; ++n) {
    const Ipv4Cidr address{Ipv4Addr{(10u << 24) | (2u << 16) | (n + 1)}, 32};
    const auto added = stack_.add_address(ids[n % ids.size()], address, now_);
    if (!added) error = added.error();
    sent();
  }
  EXPECT_EQ(error, AddressError::table_full);
  EXPECT_EQ(stack_.routes().size(), RouteTable::kDefaultCapacity);
  std::size_t total = 0;
  for (const InterfaceSummary& interface : stack_.interfaces()) total += interface.addresses.size();
  EXPECT_EQ(total, 1 + RouteTable::kDefaultCapacity - 2);  // 10.0.0.2 and its 2 routes
  EXPECT_EQ(count(Counter::ipv4_address_added), total - 1);
}

TEST_F(StackAddresses, RemovedAddressNoLongerAnswersArpOrEcho) {
  ASSERT_TRUE(stack_.add_address(id_, Ipv4Cidr{kSecondIp, 24}, now_));
  sent();
  ASSERT_TRUE(stack_.remove_address(id_, kSecondIp, now_));
  EXPECT_EQ(addresses(), std::vector{cidr("10.0.0.2/24")});
  receive(arp_request_for(kSecondIp));
  receive(ip_frame(echo_request(8, kSecondIp)));
  EXPECT_TRUE(sent().empty());
  EXPECT_EQ(count(Counter::arp_drop_not_for_us), 1u);
  EXPECT_EQ(count(Counter::ipv4_drop_not_for_us), 1u);
  // Its announcement due in 2 s is cancelled: we no longer claim the address.
  advance(seconds(5));
  EXPECT_TRUE(sent().empty());
  // The subnet's route stays, for 10.0.0.2.
  ASSERT_TRUE(route_for("10.0.0.0/24"));
  EXPECT_EQ(route_for("10.0.0.0/24")->preferred_source, kStackIp);
  EXPECT_EQ(count(Counter::ipv4_address_removed), 1u);
  // The remaining address still answers.
  receive(ip_frame(echo_request(8)));
  EXPECT_EQ(sent().size(), 1u);
}

TEST_F(StackAddresses, RemoveFailsForAddressesNotOnTheInterface) {
  EXPECT_EQ(stack_.remove_address(id_, kSecondIp, now_).error(), AddressError::not_assigned);
  EXPECT_EQ(stack_.remove_address(3, kStackIp, now_).error(), AddressError::no_such_interface);
  EXPECT_EQ(addresses(), std::vector{cidr("10.0.0.2/24")});
  EXPECT_EQ(count(Counter::ipv4_address_removed), 0u);
}

TEST_F(StackAddresses, RoutesUsingTheRemovedAddressMoveToAnotherInTheSubnet) {
  ASSERT_TRUE(stack_.add_address(id_, Ipv4Cidr{kSecondIp, 24}, now_));
  ASSERT_TRUE(stack_.remove_address(id_, kStackIp, now_));
  const auto routes = stack_.routes();
  ASSERT_EQ(routes.size(), 2u);
  EXPECT_EQ(routes[0].prefix, cidr("10.0.0.0/24"));
  EXPECT_EQ(routes[0].preferred_source, kSecondIp);
  EXPECT_EQ(routes[1].kind, RouteKind::default_route);
  EXPECT_EQ(routes[1].preferred_source, kSecondIp);
  sent();
  // An off-link ping to the new address is answered through the gateway.
  const auto icmp = icmp_message(8, 0, 7, pattern(8));
  receive(ip_frame(ipv4_packet(ip_header(Ipv4Addr(192, 0, 2, 9), kSecondIp, 1), icmp)));
  const auto frames = sent();
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(wire::EthernetHeader::parse(frames[0])->destination, kPeerMac);
  EXPECT_EQ(ip_of(frames[0])->source(), kSecondIp);
}

TEST_F(StackAddresses, RemovingTheLastAddressOfASubnetRemovesItsRoutes) {
  ASSERT_TRUE(stack_.add_address(id_, cidr("192.168.5.1/24"), now_));
  ASSERT_TRUE(route_for("192.168.5.0/24"));
  ASSERT_TRUE(stack_.remove_address(id_, *Ipv4Addr::parse("192.168.5.1"), now_));
  EXPECT_FALSE(route_for("192.168.5.0/24"));
  EXPECT_EQ(stack_.routes().size(), 2u);
  // The interface's last address may go too; the default route goes with it (its gateway is
  // no longer on-link), and the interface answers nothing.
  ASSERT_TRUE(stack_.remove_address(id_, kStackIp, now_));
  EXPECT_TRUE(stack_.routes().empty());
  EXPECT_TRUE(addresses().empty());
  sent();
  receive(arp_request_for(kStackIp));
  receive(ip_frame(echo_request(8)));
  EXPECT_TRUE(sent().empty());
  const auto socket = stack_.udp().open({});
  ASSERT_TRUE(socket);
  const std::array<std::byte, 4> data{};
  EXPECT_EQ(stack_.udp().send_to(*socket, {kPeerIp, 53}, data, now_).error(),
            SocketError::network_unreachable);
  EXPECT_EQ(stack_.tcp().connect({}, {kPeerIp, 80}, {}, now_).error(),
            SocketError::network_unreachable);
  // And it can be given an address again.
  ASSERT_TRUE(stack_.add_address(id_, Ipv4Cidr{kStackIp, 24}, now_));
  EXPECT_TRUE(route_for("10.0.0.0/24"));
  EXPECT_EQ(count(Counter::ipv4_address_removed), 2u);
}

}  // namespace
}  // namespace tapstack::test
