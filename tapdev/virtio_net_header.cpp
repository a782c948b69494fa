#include "tapdev/virtio_net_header.hpp"

#include <cassert>

#include "stack/wire/bytes.hpp"

namespace tapstack::tapdev {

VirtioNetHeader VirtioNetHeader::parse(std::span<const std::byte> bytes) {
  assert(bytes.size() >= kSize);
  return VirtioNetHeader{.flags = wire::load8(bytes, 0),
                         .gso_type = wire::load8(bytes, 1),
                         .header_length = wire::load16_le(bytes, 2),
                         .gso_size = wire::load16_le(bytes, 4),
                         .checksum_start = wire::load16_le(bytes, 6),
                         .checksum_offset = wire::load16_le(bytes, 8)};
}

void VirtioNetHeader::emit(std::span<std::byte> out) const {
  assert(out.size() >= kSize);
  wire::store8(out, 0, flags);
  wire::store8(out, 1, gso_type);
  wire::store16_le(out, 2, header_length);
  wire::store16_le(out, 4, gso_size);
  wire::store16_le(out, 6, checksum_start);
  wire::store16_le(out, 8, checksum_offset);
}

ReceiveOffload VirtioNetHeader::receive_offload() const {
  ReceiveOffload offload{.checksum_trusted = checksum_trusted()};
  switch (gso_type & ~kGsoEcn) {
    case kGsoTcpV4:
      offload.gso = ReceiveGso::tcp;
      break;
    case kGsoUdpL4:
      offload.gso = ReceiveGso::udp;
      break;
    default:
      // None, or a kind TUNSETOFFLOAD never asked for (TCPv6, UFO): the frame is what its
      // headers say, as before these kinds were told apart.
      return offload;
  }
  offload.gso_size = gso_size;
  return offload;
}

std::optional<VirtioNetHeader> VirtioNetHeader::for_frame(const PacketBuffer& frame) {
  VirtioNetHeader header;
  const TxOffload& offload = frame.offload();
  if (!offload.checksum_partial) return header;  // everything is done: flags 0, no GSO
  const std::size_t start = frame.checksum_start();
  if (start + offload.checksum_offset + 2 > frame.size()) return std::nullopt;
  header.flags = kNeedsChecksum;
  header.checksum_start = static_cast<std::uint16_t>(start);
  header.checksum_offset = offload.checksum_offset;
  if (offload.gso_size == 0) return header;
  // GSO is TCP only: the headers every segment repeats end after the TCP data offset.
  constexpr std::size_t kDataOffsetByte = 12;
  if (start + kDataOffsetByte >= frame.size()) return std::nullopt;
  const std::size_t tcp_header =
      std::size_t{wire::load8(frame.data(), start + kDataOffsetByte)} >> 4;
  header.gso_type = kGsoTcpV4;
  header.gso_size = offload.gso_size;
  header.header_length = static_cast<std::uint16_t>(start + tcp_header * 4);
  return header;
}

}  // namespace tapstack::tapdev
