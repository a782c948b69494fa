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

Result<void, std::string> TapDevice::enable_offloads() {
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
  const unsigned offloads = TUN_F_CSUM | TUN_F_TSO4;
  if (::ioctl(fd_.get(), TUNSETOFFLOAD, offloads) < 0) {
    return unexpected("TUNSETOFFLOAD (checksum, TSO4): " + errno_text(errno));
  }
  return {};
}

}  // namespace tapstack::tapdev
