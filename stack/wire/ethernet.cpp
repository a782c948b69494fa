#include "stack/wire/ethernet.hpp"

namespace tapstack::wire {

MacAddr load_mac(Bytes b, std::size_t at) {
  std::array<std::uint8_t, 6> octets{};
  for (std::size_t i = 0; i < octets.size(); ++i) octets[i] = load8(b, at + i);
  return MacAddr{octets};
}

void store_mac(MutableBytes b, std::size_t at, const MacAddr& mac) {
  for (std::size_t i = 0; i < 6; ++i) store8(b, at + i, mac.octets()[i]);
}

std::optional<EthernetHeader> EthernetHeader::parse(Bytes frame) {
  if (frame.size() < kSize) return std::nullopt;
  return EthernetHeader{load_mac(frame, 0), load_mac(frame, 6), load16(frame, 12)};
}

void EthernetHeader::emit(MutableBytes out) const {
  store_mac(out, 0, destination);
  store_mac(out, 6, source);
  store16(out, 12, ethertype);
}

}  // namespace tapstack::wire
