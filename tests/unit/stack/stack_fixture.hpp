// A Stack with one interface (10.0.0.2/24, gateway 10.0.0.1) driven on virtual time, and a
// simulated kernel peer at 10.0.0.1 (the host side of the TAP).
#pragma once

#include <gtest/gtest.h>

#include <optional>

#include "stack/stack.hpp"
#include "stack/wire/tcp.hpp"
#include "support/frames.hpp"

namespace tapstack::test {

inline const MacAddr kStackMac{{0x02, 0x54, 0x53, 0x00, 0x00, 0x02}};
inline const MacAddr kPeerMac{{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}};
inline const Ipv4Addr kStackIp{10, 0, 0, 2};
inline const Ipv4Addr kPeerIp{10, 0, 0, 1};

class StackTest : public ::testing::Test {
 protected:
  explicit StackTest(StackSettings settings = small_settings()) : stack_(settings) {
    InterfaceSettings iface;
    iface.mac = kStackMac;
    iface.mtu = 1500;
    iface.addresses = {Ipv4Cidr{kStackIp, 24}};
    id_ = stack_.add_interface(iface, now_);
    EXPECT_TRUE(stack_.set_default_gateway(kPeerIp));
    settings_ = settings;
  }

  static StackSettings small_settings() {
    StackSettings s;
    s.seed = 42;
    s.tx_buffer_count = 64;
    s.tx_queue_frames = 64;
    return s;
  }

  void advance(Duration d) {
    now_ += d;
    stack_.poll(now_);
  }
  void receive(const Frame& frame) { stack_.receive(id_, frame, now_); }
  std::vector<Frame> sent() { return drain(stack_); }
  std::uint64_t count(Counter c) const { return stack_.counters().get(c); }

  // Teaches the stack the peer's MAC through an ARP request addressed to us.
  void learn_peer() {
    receive(arp_frame(wire::ArpOp::request, kPeerMac, kPeerIp, MacAddr{}, kStackIp));
    sent();
  }

  Frame ip_frame(const Frame& packet, MacAddr dst = kStackMac) {
    return ethernet(dst, kPeerMac, wire::EtherType::ipv4, packet);
  }

  // The TCP part of a SYN from the peer to the stack (checksum right; tests may spoil it).
  static Frame tcp_syn(std::uint16_t source_port, std::uint16_t destination_port) {
    wire::TcpHeader h;
    h.source_port = source_port;
    h.destination_port = destination_port;
    h.seq = SeqNum{1000};
    h.flags = wire::TcpFlags::syn;
    h.window = 65535;
    Frame tcp(h.size());
    h.emit(tcp, kPeerIp, kStackIp, {});
    return tcp;
  }

  Frame echo_request(std::size_t data_size, Ipv4Addr dst = kStackIp, std::uint16_t seq = 1) {
    const auto data = pattern(data_size);
    const auto icmp = icmp_message(8, 0, 0x12340000u | seq, data);
    return ipv4_packet(ip_header(kPeerIp, dst, 1), icmp);
  }

  void TearDown() override {
    sent();
    // No TX buffer may leak: everything queued was drained above.
    EXPECT_EQ(stack_.tx_pending(), 0u);
  }

  Stack stack_;
  StackSettings settings_;
  Instant now_ = at(std::chrono::seconds(100));
  InterfaceId id_ = 0;
};

}  // namespace tapstack::test
