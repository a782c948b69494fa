// The Internet checksum (RFC 1071): one's complement sum of 16-bit words. Incremental, so a
// header and a payload held in different places can be summed without copying them together.
#pragma once

#include <cstdint>

#include "stack/wire/bytes.hpp"

namespace tapstack::wire {

class Checksum {
 public:
  // Adds bytes as big-endian 16-bit words. Every call but the last must add an even count
  // (RFC 1071 §2(B) allows odd chunks only with byte swapping; callers never need it).
  void add(Bytes data);
  void add16(std::uint16_t word) { sum_ += word; }
  void add32(std::uint32_t word) { sum_ += (word >> 16) + (word & 0xffff); }
  // The value to store in a checksum field (complement of the folded sum).
  std::uint16_t finish() const;

 private:
  std::uint64_t sum_ = 0;
};

inline std::uint16_t internet_checksum(Bytes data) {
  Checksum c;
  c.add(data);
  return c.finish();
}

}  // namespace tapstack::wire
