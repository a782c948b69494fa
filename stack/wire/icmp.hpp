// ICMP messages for IPv4 (RFC 792), with the host requirements of RFC 1122 §3.2.2.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "stack/wire/bytes.hpp"

namespace tapstack::wire {

enum class IcmpType : std::uint8_t {
  echo_reply = 0,
  dest_unreachable = 3,
  echo_request = 8,
  time_exceeded = 11,
  parameter_problem = 12,
};

// Destination unreachable codes (RFC 792, RFC 1122 §3.2.2.1).
enum class UnreachableCode : std::uint8_t {
  net = 0,
  host = 1,
  protocol = 2,
  port = 3,
  fragmentation_needed = 4,
};

// The fixed 8-byte ICMP header. `rest` is the type-specific second word: identifier and
// sequence number for echo, unused (zero) or next-hop MTU for unreachable messages.
struct IcmpHeader {
  static constexpr std::size_t kSize = 8;

  std::uint8_t type = 0;
  std::uint8_t code = 0;
  std::uint32_t rest = 0;

  // Nullopt when shorter than the header. Does not verify the checksum (see checksum_ok()).
  static std::optional<IcmpHeader> parse(Bytes message);
  // True when the checksum over the whole message (header and data) verifies.
  static bool checksum_ok(Bytes message);
  // Writes kSize bytes; the checksum covers this header and the data that follows it, given as
  // the concatenation of `data` (RFC 792).
  void emit(MutableBytes out, std::span<const Bytes> data) const;
};

// RFC 1122 §3.2.2: never answer an ICMP error with an error. Informational (query) types are
// the echo, timestamp, information and address mask messages.
bool is_icmp_error(std::uint8_t type);

}  // namespace tapstack::wire
