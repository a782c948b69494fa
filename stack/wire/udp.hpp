// UDP header (RFC 768) with the receive checks of RFC 1122 §4.1.3.
#pragma once

#include <cstdint>
#include <span>

#include "stack/base/address.hpp"
#include "stack/base/result.hpp"
#include "stack/wire/bytes.hpp"

namespace tapstack::wire {

enum class UdpError { truncated, bad_length, bad_checksum };

// A validated view of one UDP datagram (the IPv4 payload). The bytes are borrowed.
class UdpView {
 public:
  static constexpr std::size_t kHeaderSize = 8;

  // Checks that the length field is at least 8 and within the available bytes (bytes beyond it
  // are excluded from datagram() and payload()), and the checksum over the IPv4 pseudo-header
  // unless the sender sent none (zero, RFC 768) or a device vouched for it (!verify_checksum).
  static Result<UdpView, UdpError> check(Bytes datagram, Ipv4Addr src, Ipv4Addr dst,
                                         bool verify_checksum = true);

  std::uint16_t source_port() const { return load16(bytes_, 0); }
  std::uint16_t destination_port() const { return load16(bytes_, 2); }
  std::uint16_t length() const { return load16(bytes_, 4); }

  Bytes datagram() const { return bytes_; }
  Bytes payload() const { return bytes_.subspan(kHeaderSize); }

 private:
  explicit UdpView(Bytes bytes) : bytes_(bytes) {}
  Bytes bytes_;
};

// The fields of a header to send.
struct UdpHeader {
  static constexpr std::size_t kSize = 8;

  std::uint16_t source_port = 0;
  std::uint16_t destination_port = 0;

  // Writes kSize bytes: length = 8 + payload size, and the checksum over the pseudo-header,
  // this header and the payload (the concatenation of `payload`; each part but the last has
  // even length). Preconditions: out.size() >= kSize; 8 + payload size fits 16 bits.
  void emit(MutableBytes out, Ipv4Addr src, Ipv4Addr dst, std::span<const Bytes> payload) const;
};

}  // namespace tapstack::wire
