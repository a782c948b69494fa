#include "stack/wire/icmp.hpp"

#include "stack/wire/checksum.hpp"

namespace tapstack::wire {

std::optional<IcmpHeader> IcmpHeader::parse(Bytes message) {
  if (message.size() < kSize) return std::nullopt;
  return IcmpHeader{load8(message, 0), load8(message, 1), load32(message, 4)};
}

bool IcmpHeader::checksum_ok(Bytes message) {
  return internet_checksum(message) == 0;
}

void IcmpHeader::emit(MutableBytes out, std::span<const Bytes> data) const {
  store8(out, 0, type);
  store8(out, 1, code);
  store16(out, 2, 0);
  store32(out, 4, rest);
  Checksum sum;
  sum.add(out.first(kSize));
  // The header is even-sized, so only the parts after it need care: each but the last must
  // be even-sized (Checksum::add's precondition); callers pass header-sized parts first.
  for (const Bytes part : data) sum.add(part);
  store16(out, 2, sum.finish());
}

bool is_icmp_error(std::uint8_t type) {
  switch (type) {
    case 3:   // destination unreachable
    case 4:   // source quench
    case 5:   // redirect
    case 11:  // time exceeded
    case 12:  // parameter problem
      return true;
    default:
      return false;
  }
}

}  // namespace tapstack::wire
