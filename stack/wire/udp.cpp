#include "stack/wire/udp.hpp"

#include <cassert>

#include "stack/wire/checksum.hpp"
#include "stack/wire/ipv4.hpp"

namespace tapstack::wire {

namespace {

constexpr auto kUdp = static_cast<std::uint8_t>(IpProtocol::udp);

}  // namespace

Result<UdpView, UdpError> UdpView::check(Bytes datagram, Ipv4Addr src, Ipv4Addr dst,
                                         bool verify_checksum) {
  if (datagram.size() < kHeaderSize) return unexpected(UdpError::truncated);
  // RFC 768: the length covers header and data. Anything after it is not part of the datagram.
  const std::uint16_t length = load16(datagram, 4);
  if (length < kHeaderSize || length > datagram.size()) return unexpected(UdpError::bad_length);
  const Bytes bytes = datagram.first(length);
  // RFC 768 / RFC 1122 §4.1.3.4: a zero checksum means the sender computed none.
  if (verify_checksum && load16(bytes, 6) != 0) {
    Checksum sum;
    add_pseudo_header(sum, src, dst, kUdp, length);
    sum.add(bytes);
    if (sum.finish() != 0) return unexpected(UdpError::bad_checksum);
  }
  return UdpView{bytes};
}

void UdpHeader::emit(MutableBytes out, Ipv4Addr src, Ipv4Addr dst,
                     std::span<const Bytes> payload) const {
  assert(out.size() >= kSize);
  std::size_t length = kSize;
  for (const Bytes part : payload) length += part.size();
  assert(length <= 0xffff);
  store16(out, 0, source_port);
  store16(out, 2, destination_port);
  store16(out, 4, static_cast<std::uint16_t>(length));
  store16(out, 6, 0);
  Checksum sum;
  add_pseudo_header(sum, src, dst, kUdp, static_cast<std::uint16_t>(length));
  sum.add(out.first(kSize));
  for (const Bytes part : payload) sum.add(part);
  // RFC 768: a computed zero is sent as all ones; zero on the wire means "no checksum".
  const std::uint16_t checksum = sum.finish();
  store16(out, 6, checksum == 0 ? 0xffff : checksum);
}

}  // namespace tapstack::wire
