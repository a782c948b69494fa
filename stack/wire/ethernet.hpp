// Ethernet II framing (IEEE 802.3 with EtherType, RFC 894 for IPv4 over Ethernet).
#pragma once

#include <cstdint>
#include <optional>

#include "stack/base/address.hpp"
#include "stack/wire/bytes.hpp"

namespace tapstack::wire {

enum class EtherType : std::uint16_t { ipv4 = 0x0800, arp = 0x0806 };

struct EthernetHeader {
  static constexpr std::size_t kSize = 14;

  MacAddr destination;
  MacAddr source;
  std::uint16_t ethertype = 0;

  // Nullopt when the frame is shorter than the header. The FCS is not present on a TAP device.
  static std::optional<EthernetHeader> parse(Bytes frame);
  // Writes kSize bytes. Precondition: out.size() >= kSize.
  void emit(MutableBytes out) const;
};

// Reads and writes a MAC address at a byte offset (also used by ARP).
MacAddr load_mac(Bytes b, std::size_t at);
void store_mac(MutableBytes b, std::size_t at, const MacAddr& mac);

}  // namespace tapstack::wire
