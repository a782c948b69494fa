#include "stack/link/link_output.hpp"

namespace tapstack {

std::optional<PacketBuffer> LinkOutput::allocate(std::size_t packet_size) {
  const bool large = kTxHeadroom + wire::EthernetHeader::kSize + packet_size > pool_.slot_size();
  auto buffer = (large ? gso_pool_ : pool_).acquire(kTxHeadroom);
  if (!buffer) counters_.add(Counter::eth_tx_drop_no_buffer);
  return buffer;
}

void LinkOutput::send(const Interface& interface, MacAddr destination, wire::EtherType type,
                      PacketBuffer packet) {
  wire::EthernetHeader{destination, interface.mac, static_cast<std::uint16_t>(type)}.emit(
      packet.prepend(wire::EthernetHeader::kSize));
  if (!queue_.push(TxFrame{interface.id, std::move(packet)})) {
    counters_.add(Counter::eth_tx_drop_queue_full);
    return;
  }
  counters_.add(Counter::eth_tx_frames);
}

void LinkOutput::send_to_self(const Interface& interface, wire::EtherType type,
                              PacketBuffer packet) {
  wire::EthernetHeader{interface.mac, interface.mac, static_cast<std::uint16_t>(type)}.emit(
      packet.prepend(wire::EthernetHeader::kSize));
  if (!loopback_.push(TxFrame{interface.id, std::move(packet)})) {
    counters_.add(Counter::eth_tx_drop_queue_full);
    return;
  }
  counters_.add(Counter::ipv4_tx_loopback);
}

}  // namespace tapstack
