#include "stack/wire/checksum.hpp"

#include <bit>
#include <cstring>

namespace tapstack::wire {

void Checksum::add(Bytes data) {
  std::size_t i = 0;
  if (odd_ && !data.empty()) {
    sum_ += load8(data, 0);  // the low byte of the word the previous chunk started
    i = 1;
    odd_ = false;
  }
  i = add_words(data, i);
  for (; i + 1 < data.size(); i += 2) sum_ += load16(data, i);
  // RFC 1071 §4.1: an odd trailing byte is padded with a zero byte on the right (until a
  // following chunk supplies the real one).
  if (i < data.size()) {
    sum_ += std::uint64_t{load8(data, i)} << 8;
    odd_ = true;
  }
}

// The bulk of a chunk, 8 bytes per step as two 32-bit halves of a native-order load. RFC 1071
// §2(B): the one's complement sum does not depend on byte order, so the words are summed in the
// host's order and the folded result is swapped into network order once. Returns where the
// remaining (< 8) bytes start.
std::size_t Checksum::add_words(Bytes data, std::size_t from) {
  std::uint64_t native = 0;  // at most 2^33 per step: no overflow below 2^31 steps
  std::size_t i = from;
  for (; i + 8 <= data.size(); i += 8) {
    std::uint64_t word = 0;
    std::memcpy(&word, data.data() + i, sizeof(word));
    native += (word & 0xffffffffU) + (word >> 32);
  }
  while ((native >> 16) != 0) native = (native & 0xffff) + (native >> 16);
  auto folded16 = static_cast<std::uint16_t>(native);
  if constexpr (std::endian::native == std::endian::little) {
    folded16 = static_cast<std::uint16_t>((folded16 << 8) | (folded16 >> 8));
  }
  sum_ += folded16;
  return i;
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
