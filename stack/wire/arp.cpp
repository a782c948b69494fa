#include "stack/wire/arp.hpp"

#include "stack/wire/ethernet.hpp"

namespace tapstack::wire {
namespace {
constexpr std::uint16_t kHardwareEthernet = 1;
constexpr std::uint16_t kProtocolIpv4 = 0x0800;
}  // namespace

Result<ArpPacket, ArpError> ArpPacket::parse(Bytes packet) {
  if (packet.size() < kSize) return unexpected(ArpError::truncated);
  const std::uint16_t op = load16(packet, 6);
  if (load16(packet, 0) != kHardwareEthernet || load16(packet, 2) != kProtocolIpv4 ||
      load8(packet, 4) != 6 || load8(packet, 5) != 4 || (op != 1 && op != 2)) {
    return unexpected(ArpError::unsupported);
  }
  return ArpPacket{static_cast<ArpOp>(op), load_mac(packet, 8), Ipv4Addr{load32(packet, 14)},
                   load_mac(packet, 18), Ipv4Addr{load32(packet, 24)}};
}

void ArpPacket::emit(MutableBytes out) const {
  store16(out, 0, kHardwareEthernet);
  store16(out, 2, kProtocolIpv4);
  store8(out, 4, 6);
  store8(out, 5, 4);
  store16(out, 6, static_cast<std::uint16_t>(operation));
  store_mac(out, 8, sender_mac);
  store32(out, 14, sender_ip.value());
  store_mac(out, 18, target_mac);
  store32(out, 24, target_ip.value());
}

}  // namespace tapstack::wire
