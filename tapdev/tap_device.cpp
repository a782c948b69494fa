#include "tapdev/tap_device.hpp"

#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>

#include <bit>
#include <cerrno>
#include <cstring>

#include "tapdev/errno_text.hpp"
#include "tapdev/virtio_net_header.hpp"

// UDP segmentation offload (Linux 6.2, include/uapi/linux/if_tun.h); older headers lack them.
#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20
#endif
#ifndef TUN_F_USO6
#define TUN_F_USO6 0x40
#endif

namespace tapstack::tapdev {

Result<TapDevice, std::string> TapDevice::open(std::string_view name, bool virtio_net_header) {
  // IFNAMSIZ includes the terminating NUL. A '%' would ask the kernel to pick a number.
  if (name.empty() || name.size() >= IFNAMSIZ || name.find_first_of("%/ ") != name.npos) {
    return unexpected("invalid TAP device name '" + std::string{name} + "'");
  }
  UniqueFd fd{::open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK)};
  if (!fd) return unexpected("cannot open /dev/net/tun: " + errno_text(errno));

  ifreq request{};
  request.ifr_flags =
      static_cast<short>(IFF_TAP | IFF_NO_PI | (virtio_net_header ? IFF_VNET_HDR : 0));
  name.copy(request.ifr_name, IFNAMSIZ - 1);
  if (::ioctl(fd.get(), TUNSETIFF, &request) < 0) {
    return unexpected("cannot create or attach TAP device " + std::string{name} + ": " +
                      errno_text(errno));
  }
  // request.ifr_name was zero-filled and the kernel writes back a NUL-terminated name.
  return TapDevice{std::move(fd), std::string{request.ifr_name}};
}

Result<EnabledOffloads, std::string> TapDevice::enable_offloads() {
  int size = static_cast<int>(VirtioNetHeader::kSize);
  if (::ioctl(fd_.get(), TUNSETVNETHDRSZ, &size) < 0) {
    return unexpected("TUNSETVNETHDRSZ: " + errno_text(errno));
  }
  // Legacy virtio headers are in the host's byte order; little-endian makes it explicit
  // (VirtioNetHeader reads and writes little-endian). Refused only by kernels that predate
  // it, where a little-endian host needs nothing.
  int little_endian = 1;
  if (::ioctl(fd_.get(), TUNSETVNETLE, &little_endian) < 0 &&
      std::endian::native != std::endian::little) {
    return unexpected("TUNSETVNETLE: " + errno_text(errno));
  }
  // tun's set_offload() turns USO on only with both USO4 and USO6 (and CSUM); kernels before
  // 6.2 refuse bits they do not know with EINVAL, and get plain TSO.
  const unsigned tso = TUN_F_CSUM | TUN_F_TSO4;
  if (::ioctl(fd_.get(), TUNSETOFFLOAD, tso | TUN_F_USO4 | TUN_F_USO6) == 0) {
    return EnabledOffloads{.udp_segmentation = true};
  }
  if (errno != EINVAL || ::ioctl(fd_.get(), TUNSETOFFLOAD, tso) < 0) {
    return unexpected("TUNSETOFFLOAD (checksum, TSO4): " + errno_text(errno));
  }
  return EnabledOffloads{.udp_segmentation = false};
}

}  // namespace tapstack::tapdev
