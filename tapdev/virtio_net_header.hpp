// The virtio-net header (struct virtio_net_hdr, linux/virtio_net.h; Documentation/networking/
// tuntap.rst) in front of every frame on a TAP opened with IFF_VNET_HDR. It is how the stack and
// the kernel hand each other work (DESIGN.md §4): a TCP segment of up to 64 KB the other side
// cuts into MSS-sized segments (GSO/TSO), and a transport checksum left for the other side to
// compute (NEEDS_CSUM) or already verified (DATA_VALID). Little-endian (TUNSETVNETLE).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "stack/buffer/packet_buffer.hpp"
#include "stack/link/receive_offload.hpp"

namespace tapstack::tapdev {

struct VirtioNetHeader {
  static constexpr std::size_t kSize = 10;  // without the mergeable-buffers count
  // flags
  static constexpr std::uint8_t kNeedsChecksum = 1;  // VIRTIO_NET_HDR_F_NEEDS_CSUM
  static constexpr std::uint8_t kDataValid = 2;      // VIRTIO_NET_HDR_F_DATA_VALID
  // gso_type
  static constexpr std::uint8_t kGsoNone = 0;
  static constexpr std::uint8_t kGsoTcpV4 = 1;
  static constexpr std::uint8_t kGsoUdpL4 = 5;   // VIRTIO_NET_HDR_GSO_UDP_L4: USO, IPv4 or v6
  static constexpr std::uint8_t kGsoEcn = 0x80;  // flag bit: the segments carry ECN CWR

  std::uint8_t flags = 0;
  std::uint8_t gso_type = kGsoNone;
  std::uint16_t header_length = 0;  // Ethernet + IP + TCP headers of a GSO frame
  std::uint16_t gso_size = 0;       // payload bytes per segment
  std::uint16_t checksum_start = 0;
  std::uint16_t checksum_offset = 0;

  // Reads the first kSize bytes. Precondition: bytes.size() >= kSize.
  static VirtioNetHeader parse(std::span<const std::byte> bytes);
  // Writes kSize bytes. Precondition: out.size() >= kSize.
  void emit(std::span<std::byte> out) const;

  // The header for an Ethernet frame built by the stack, from the work its buffer leaves to
  // the device (PacketBuffer::offload). nullopt if the frame is too short for what it claims.
  static std::optional<VirtioNetHeader> for_frame(const PacketBuffer& frame);

  // The kernel verified the transport checksum, or never computed it because the packet
  // comes from its own memory: either way it needs no check.
  bool checksum_trusted() const { return (flags & (kNeedsChecksum | kDataValid)) != 0; }
  bool is_gso() const { return (gso_type & ~kGsoEcn) != kGsoNone; }
  // What a received frame's header tells the stack (Stack::receive).
  ReceiveOffload receive_offload() const;
};

}  // namespace tapstack::tapdev
