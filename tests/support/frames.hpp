// Test helpers that build frames with the stack's own emitters (whose bytes are checked
// against captured fixtures in wire_test.cpp) and take frames out of a Stack.
#pragma once

#include <array>
#include <cstddef>
#include <vector>

#include "stack/stack.hpp"
#include "stack/wire/arp.hpp"
#include "stack/wire/ethernet.hpp"
#include "stack/wire/icmp.hpp"
#include "stack/wire/ipv4.hpp"

namespace tapstack::test {

using Frame = std::vector<std::byte>;

inline Frame ethernet(MacAddr dst, MacAddr src, wire::EtherType type, wire::Bytes payload) {
  Frame f(wire::EthernetHeader::kSize + payload.size());
  wire::EthernetHeader{dst, src, static_cast<std::uint16_t>(type)}.emit(f);
  std::copy(payload.begin(), payload.end(), f.begin() + wire::EthernetHeader::kSize);
  return f;
}

inline Frame arp_frame(wire::ArpOp op, MacAddr sender_mac, Ipv4Addr sender_ip, MacAddr target_mac,
                       Ipv4Addr target_ip, MacAddr dst = MacAddr::broadcast()) {
  std::array<std::byte, wire::ArpPacket::kSize> arp{};
  wire::ArpPacket{op, sender_mac, sender_ip, target_mac, target_ip}.emit(arp);
  return ethernet(dst, sender_mac, wire::EtherType::arp, arp);
}

// An IPv4 packet (header + payload) with the given header fields; total length and checksum
// are filled in.
inline Frame ipv4_packet(wire::Ipv4Header h, wire::Bytes payload) {
  Frame p(wire::Ipv4Header::kSize + payload.size());
  h.total_length = static_cast<std::uint16_t>(p.size());
  h.emit(p);
  std::copy(payload.begin(), payload.end(), p.begin() + wire::Ipv4Header::kSize);
  return p;
}

inline Frame icmp_message(std::uint8_t type, std::uint8_t code, std::uint32_t rest,
                          wire::Bytes data) {
  Frame m(wire::IcmpHeader::kSize + data.size());
  wire::IcmpHeader{type, code, rest}.emit(m, std::span{&data, 1});
  std::copy(data.begin(), data.end(), m.begin() + wire::IcmpHeader::kSize);
  return m;
}

inline wire::Ipv4Header ip_header(Ipv4Addr src, Ipv4Addr dst, std::uint8_t protocol,
                                  std::uint16_t id = 1) {
  wire::Ipv4Header h;
  h.id = id;
  h.ttl = 64;
  h.protocol = protocol;
  h.source = src;
  h.destination = dst;
  return h;
}

// Every frame the stack has queued for transmission, in order.
inline std::vector<Frame> drain(Stack& stack) {
  std::vector<Frame> frames;
  while (auto tx = stack.pop_tx()) {
    const auto data = tx->frame.data();
    frames.emplace_back(data.begin(), data.end());
  }
  return frames;
}

inline std::vector<std::byte> pattern(std::size_t n) {
  std::vector<std::byte> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::byte>((i * 7 + i / 251) & 0xff);
  return v;
}

}  // namespace tapstack::test
