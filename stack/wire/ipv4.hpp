// IPv4 header (RFC 791 §3.1) with the receive checks of RFC 1122 §3.2.1 that need only the
// header itself. Address policy (is it ours? a martian source?) belongs to the IPv4 layer.
#pragma once

#include <cstdint>

#include "stack/base/address.hpp"
#include "stack/base/result.hpp"
#include "stack/wire/bytes.hpp"

namespace tapstack::wire {

enum class IpProtocol : std::uint8_t { icmp = 1, tcp = 6, udp = 17 };

enum class Ipv4Error {
  truncated,
  bad_version,
  bad_ihl,
  bad_total_length,
  bad_checksum,
  bad_options,
};

// A validated view of one IPv4 packet in a receive buffer. The bytes are borrowed.
class Ipv4View {
 public:
  static constexpr std::size_t kMinHeaderSize = 20;

  // Checks version, IHL, total length against the available bytes, the header checksum, and the
  // length octets of the options (their contents are not interpreted, RFC 1122 §3.2.1.8).
  // Bytes beyond the total length (Ethernet padding) are excluded from packet() and payload().
  static Result<Ipv4View, Ipv4Error> check(Bytes packet);

  std::size_t header_length() const { return std::size_t{load8(bytes_, 0) & 0x0fU} * 4; }
  std::uint8_t tos() const { return load8(bytes_, 1); }
  std::uint16_t total_length() const { return load16(bytes_, 2); }
  std::uint16_t id() const { return load16(bytes_, 4); }
  bool dont_fragment() const { return (load16(bytes_, 6) & 0x4000) != 0; }
  bool more_fragments() const { return (load16(bytes_, 6) & 0x2000) != 0; }
  // Fragment offset in bytes (the field counts 8-byte units).
  std::size_t fragment_offset() const { return std::size_t{load16(bytes_, 6) & 0x1fffU} * 8; }
  bool is_fragment() const { return more_fragments() || fragment_offset() != 0; }
  std::uint8_t ttl() const { return load8(bytes_, 8); }
  std::uint8_t protocol() const { return load8(bytes_, 9); }
  Ipv4Addr source() const { return Ipv4Addr{load32(bytes_, 12)}; }
  Ipv4Addr destination() const { return Ipv4Addr{load32(bytes_, 16)}; }

  Bytes packet() const { return bytes_; }
  Bytes header() const { return bytes_.first(header_length()); }
  Bytes payload() const { return bytes_.subspan(header_length()); }

 private:
  explicit Ipv4View(Bytes bytes) : bytes_(bytes) {}
  Bytes bytes_;
};

// The fields of a header to send. emit() writes a 20-byte header (we send no options).
struct Ipv4Header {
  static constexpr std::size_t kSize = 20;

  std::uint8_t tos = 0;
  std::uint16_t total_length = 0;
  std::uint16_t id = 0;
  bool dont_fragment = false;
  bool more_fragments = false;
  std::size_t fragment_offset = 0;  // bytes; a multiple of 8
  std::uint8_t ttl = 64;
  std::uint8_t protocol = 0;
  Ipv4Addr source;
  Ipv4Addr destination;

  // Writes kSize bytes including the header checksum. Precondition: out.size() >= kSize.
  void emit(MutableBytes out) const;
};

}  // namespace tapstack::wire
