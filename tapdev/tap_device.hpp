// A Linux TAP device (Documentation/networking/tuntap.rst): an Ethernet "wire" whose other end is
// the kernel. Frames read from the descriptor are what the kernel sends on the link; frames
// written to it are what the kernel receives.
#pragma once

#include <string>
#include <string_view>

#include "stack/base/result.hpp"
#include "tapdev/unique_fd.hpp"

namespace tapstack::tapdev {

// What TapDevice::enable_offloads got from the kernel beyond checksums and TSO.
struct EnabledOffloads {
  bool udp_segmentation = false;  // USO (TUN_F_USO4 | TUN_F_USO6)
};

class TapDevice {
 public:
  // Creates the TAP device `name`, or attaches to it if it exists (e.g. one made persistent with
  // `ip tuntap add`). Ethernet frames without the packet-information prefix (IFF_TAP|IFF_NO_PI).
  // A device created here is not persistent: the kernel removes it when the descriptor is closed.
  // Needs CAP_NET_ADMIN (or ownership of a persistent device). Failures carry the errno text.
  // `virtio_net_header`: every frame read or written starts with a VirtioNetHeader
  // (IFF_VNET_HDR), the way to offloads (enable_offloads).
  static Result<TapDevice, std::string> open(std::string_view name, bool virtio_net_header = false);

  // Tells the kernel that frames it sends us may be TCP segments of up to 64 KB with partial
  // checksums (TUNSETOFFLOAD: TUN_F_CSUM | TUN_F_TSO4), and, where the kernel has it (6.2+),
  // UDP super-datagrams of up to 64 KB to cut into datagrams (USO: TUN_F_USO4 | TUN_F_USO6);
  // the kernel takes TSO from us in any case. The header is little-endian and
  // VirtioNetHeader::kSize long. Precondition: opened with the virtio-net header. Fails on
  // kernels without checksum and TSO offloads; frames then still carry the header, with
  // nothing in it.
  Result<EnabledOffloads, std::string> enable_offloads();

  // The descriptor for frame I/O, in non-blocking mode. io_uring treats an O_NONBLOCK file as
  // able to try a read without blocking: a read that finds no frame waits on the device's poll
  // queue. Without O_NONBLOCK, a read io_uring cannot finish at once goes to an io-wq worker
  // thread (iou-wrk) that blocks in read(2).
  int fd() const { return fd_.get(); }
  // The name the kernel gave the device (equal to the requested one).
  const std::string& name() const { return name_; }

 private:
  TapDevice(UniqueFd fd, std::string name) : fd_(std::move(fd)), name_(std::move(name)) {}

  UniqueFd fd_;
  std::string name_;
};

}  // namespace tapstack::tapdev
