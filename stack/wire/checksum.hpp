// The Internet checksum (RFC 1071): one's complement sum of 16-bit words. Incremental, so a
// header and a payload held in different places can be summed without copying them together.
#pragma once

#include <cstdint>

#include "stack/base/address.hpp"
#include "stack/wire/bytes.hpp"

namespace tapstack::wire {

class Checksum {
 public:
  // Adds bytes as big-endian 16-bit words. Chunks may have any length: an odd byte left over
  // pairs with the first byte of the next chunk, so the sum equals that of the concatenation.
  void add(Bytes data);
  void add16(std::uint16_t word) { sum_ += word; }
  void add32(std::uint32_t word) { sum_ += (word >> 16) + (word & 0xffff); }
  // The value to store in a checksum field (complement of the folded sum).
  std::uint16_t finish() const { return static_cast<std::uint16_t>(~folded() & 0xffff); }
  // The sum folded to 16 bits, not complemented: what a partial checksum field holds for a
  // device that finishes it (virtio-net NEEDS_CSUM).
  std::uint16_t folded() const;

 private:
  std::size_t add_words(Bytes data, std::size_t from);

  std::uint64_t sum_ = 0;
  bool odd_ = false;  // the last chunk ended inside a 16-bit word
};

inline std::uint16_t internet_checksum(Bytes data) {
  Checksum c;
  c.add(data);
  return c.finish();
}

// Adds the IPv4 pseudo-header that TCP (RFC 9293 §3.1) and UDP (RFC 768) checksums cover:
// source, destination, zero byte, protocol, and the TCP/UDP length (header plus data).
void add_pseudo_header(Checksum& sum, Ipv4Addr src, Ipv4Addr dst, std::uint8_t protocol,
                       std::uint16_t length);

}  // namespace tapstack::wire
