#include "stack/wire/checksum.hpp"

namespace tapstack::wire {

void Checksum::add(Bytes data) {
  std::size_t i = 0;
  for (; i + 1 < data.size(); i += 2) sum_ += load16(data, i);
  // RFC 1071 §4.1: an odd trailing byte is padded with a zero byte on the right.
  if (i < data.size()) sum_ += std::uint64_t{load8(data, i)} << 8;
}

std::uint16_t Checksum::finish() const {
  std::uint64_t sum = sum_;
  while ((sum >> 16) != 0) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum & 0xffff);
}

}  // namespace tapstack::wire
