#include "stack/wire/ipv4.hpp"

#include "stack/wire/checksum.hpp"

namespace tapstack::wire {
namespace {

constexpr std::uint8_t kOptionEnd = 0;  // RFC 791 §3.1: End of Option List
constexpr std::uint8_t kOptionNop = 1;  // RFC 791 §3.1: No Operation

// RFC 791 §3.1 option format: EOL and NOP are single octets; every other option carries a length
// octet counting its type and length octets, so at least 2, and must end inside the header.
// Linux's ip_options_compile rejects the same (and answers with a parameter problem).
bool options_well_formed(Bytes options) {
  std::size_t at = 0;
  while (at < options.size()) {
    const std::uint8_t type = load8(options, at);
    if (type == kOptionEnd) return true;
    if (type == kOptionNop) {
      ++at;
      continue;
    }
    if (at + 1 >= options.size()) return false;
    const std::size_t length = load8(options, at + 1);
    if (length < 2 || length > options.size() - at) return false;
    at += length;
  }
  return true;
}

}  // namespace

Result<Ipv4View, Ipv4Error> Ipv4View::check(Bytes packet) {
  if (packet.size() < kMinHeaderSize) return unexpected(Ipv4Error::truncated);
  if ((load8(packet, 0) >> 4) != 4) return unexpected(Ipv4Error::bad_version);
  const std::size_t ihl = std::size_t{load8(packet, 0) & 0x0fU} * 4;
  if (ihl < kMinHeaderSize) return unexpected(Ipv4Error::bad_ihl);
  if (ihl > packet.size()) return unexpected(Ipv4Error::truncated);
  // RFC 1122 §3.2.1.1 / §3.2.1.2: the total length must cover the header and fit in what arrived.
  const std::size_t total = load16(packet, 2);
  if (total < ihl || total > packet.size()) return unexpected(Ipv4Error::bad_total_length);
  if (internet_checksum(packet.first(ihl)) != 0) return unexpected(Ipv4Error::bad_checksum);
  if (!options_well_formed(packet.subspan(kMinHeaderSize, ihl - kMinHeaderSize))) {
    return unexpected(Ipv4Error::bad_options);
  }
  return Ipv4View{packet.first(total)};
}

void Ipv4Header::emit(MutableBytes out) const {
  store8(out, 0, 0x45);  // version 4, IHL 5
  store8(out, 1, tos);
  store16(out, 2, total_length);
  store16(out, 4, id);
  const auto flags =
      static_cast<std::uint16_t>((dont_fragment ? 0x4000 : 0) | (more_fragments ? 0x2000 : 0));
  store16(out, 6, static_cast<std::uint16_t>(flags | ((fragment_offset / 8) & 0x1fff)));
  store8(out, 8, ttl);
  store8(out, 9, protocol);
  store16(out, 10, 0);
  store32(out, 12, source.value());
  store32(out, 16, destination.value());
  store16(out, 10, internet_checksum(out.first(kSize)));
}

}  // namespace tapstack::wire
