// Two stacks (A 10.0.0.1, B 10.0.0.2 on one /24) over an in-memory link on virtual time, with
// helpers to open UDP sockets and move datagrams as text.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "sim/sim_network.hpp"
#include "stack/udp/udp_layer.hpp"

namespace tapstack::test {

using sim::kAddrA;
using sim::kAddrB;

class UdpSimTest : public ::testing::Test {
 protected:
  explicit UdpSimTest(sim::SimSettings settings = {}) : net_(settings) {}

  UdpLayer& a() { return net_.a().udp(); }
  UdpLayer& b() { return net_.b().udp(); }
  std::uint64_t a_count(Counter c) { return net_.a().counters().get(c); }
  std::uint64_t b_count(Counter c) { return net_.b().counters().get(c); }

  // Moves every frame until the link is quiet, running timers that are due (none advance the
  // clock: ARP and delivery are instantaneous on this link).
  void run() {
    net_.run_until([] { return false; }, [] { return false; }, net_.now());
  }

  SocketHandle open(UdpLayer& layer, UdpSocketOptions options = {}) {
    const auto socket = layer.open(options);
    EXPECT_TRUE(socket.has_value());
    return *socket;
  }

  SocketHandle open_bound(UdpLayer& layer, SocketAddress local, UdpSocketOptions options = {}) {
    const SocketHandle socket = open(layer, options);
    const auto bound = layer.bind(socket, local);
    EXPECT_TRUE(bound.has_value()) << to_string(bound.error());
    return socket;
  }

  Result<std::size_t, SocketError> send_to(UdpLayer& layer, SocketHandle socket, SocketAddress to,
                                           std::string_view text) {
    return layer.send_to(socket, to, std::as_bytes(std::span{text}), net_.now());
  }

  Result<std::size_t, SocketError> send(UdpLayer& layer, SocketHandle socket,
                                        std::string_view text) {
    return layer.send(socket, std::as_bytes(std::span{text}), net_.now());
  }

  struct Text {
    std::string text;
    SocketAddress source;
    Ipv4Addr destination;
    std::size_t datagram_size = 0;
  };

  // The next datagram as text (at most `max` bytes of it); the error when there is none.
  Result<Text, SocketError> receive(UdpLayer& layer, SocketHandle socket, std::size_t max = 4096,
                                    bool peek = false) {
    std::string buffer(max, '\0');
    const auto got = layer.receive(socket, std::as_writable_bytes(std::span{buffer}), peek);
    if (!got) return unexpected(got.error());
    buffer.resize(got->size);
    return Text{buffer, got->source, got->destination, got->datagram_size};
  }

  SocketAddress local(UdpLayer& layer, SocketHandle socket) {
    const auto address = layer.local_address(socket);
    EXPECT_TRUE(address.has_value());
    return address.value_or(SocketAddress{});
  }

  sim::SimNetwork net_;
};

}  // namespace tapstack::test
