#include "stack/wire/checksum.hpp"

namespace tapstack::wire {

void Checksum::add(Bytes data) {
  std::size_t i = 0;
  if (odd_ && !data.empty()) {
    sum_ += load8(data, 0);  // the low byte of the word the previous chunk started
    i = 1;
    odd_ = false;
  }
  for (; i + 1 < data.size(); i += 2) sum_ += load16(data, i);
  // RFC 1071 §4.1: an odd trailing byte is padded with a zero byte on the right (until a
  // following chunk supplies the real one).
  if (i < data.size()) {
    sum_ += std::uint64_t{load8(data, i)} << 8;
    odd_ = true;
  }
}

std::uint16_t Checksum::folded() const {
  std::uint64_t sum = sum_;
  while ((sum >> 16) != 0) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(sum);
}

void add_pseudo_header(Checksum& sum, Ipv4Addr src, Ipv4Addr dst, std::uint8_t protocol,
                       std::uint16_t length) {
  sum.add32(src.value());
  sum.add32(dst.value());
  sum.add16(protocol);  // the zero byte before it adds nothing
  sum.add16(length);
}

}  // namespace tapstack::wire
