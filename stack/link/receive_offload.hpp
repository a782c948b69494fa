// What the device says of a received frame (the virtio-net header, tapdev/virtio_net_header.hpp;
// DESIGN.md §4): whether it vouches for the transport checksum, and whether the frame is one
// "super-packet" the host left unsegmented (GSO) that stands for several, and of which kind.
#pragma once

#include <cstdint>

namespace tapstack {

// The segmentation offload a received frame carries.
enum class ReceiveGso : std::uint8_t {
  none,
  // A TCP segment larger than the MSS (TSO/GRO on the host): taken whole, as TCP needs no
  // boundaries between segments.
  tcp,
  // UDP segmentation offload (USO; a host socket with UDP_SEGMENT): the payload stands for
  // datagrams of gso_size bytes each, the last one possibly shorter, all with the same header.
  udp,
};

struct ReceiveOffload {
  // The device vouches for the TCP or UDP checksum (virtio-net DATA_VALID or NEEDS_CSUM):
  // verified, or never computed because the packet comes from the host's memory.
  bool checksum_trusted = false;
  ReceiveGso gso = ReceiveGso::none;
  std::uint16_t gso_size = 0;  // payload bytes per segment (virtio-net gso_size)
};

}  // namespace tapstack
