// ARP packets for IPv4 over Ethernet (RFC 826). Only hardware type 1 / protocol 0x0800 with
// 6-byte and 4-byte addresses exist on our links; anything else is reported as unsupported.
#pragma once

#include <cstdint>

#include "stack/base/address.hpp"
#include "stack/base/result.hpp"
#include "stack/wire/bytes.hpp"

namespace tapstack::wire {

enum class ArpOp : std::uint16_t { request = 1, reply = 2 };
enum class ArpError { truncated, unsupported };

struct ArpPacket {
  static constexpr std::size_t kSize = 28;

  ArpOp operation = ArpOp::request;
  MacAddr sender_mac;
  Ipv4Addr sender_ip;
  MacAddr target_mac;
  Ipv4Addr target_ip;

  static Result<ArpPacket, ArpError> parse(Bytes packet);
  // Writes kSize bytes. Precondition: out.size() >= kSize.
  void emit(MutableBytes out) const;
};

}  // namespace tapstack::wire
