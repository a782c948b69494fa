#include "tapdev/tap_device.hpp"

#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>

#include <cerrno>
#include <cstring>

#include "tapdev/errno_text.hpp"

namespace tapstack::tapdev {

Result<TapDevice, std::string> TapDevice::open(std::string_view name) {
  // IFNAMSIZ includes the terminating NUL. A '%' would ask the kernel to pick a number.
  if (name.empty() || name.size() >= IFNAMSIZ || name.find_first_of("%/ ") != name.npos) {
    return unexpected("invalid TAP device name '" + std::string{name} + "'");
  }
  UniqueFd fd{::open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK)};
  if (!fd) return unexpected("cannot open /dev/net/tun: " + errno_text(errno));

  ifreq request{};
  request.ifr_flags = static_cast<short>(IFF_TAP | IFF_NO_PI);
  name.copy(request.ifr_name, IFNAMSIZ - 1);
  if (::ioctl(fd.get(), TUNSETIFF, &request) < 0) {
    return unexpected("cannot create or attach TAP device " + std::string{name} + ": " +
                      errno_text(errno));
  }
  // request.ifr_name was zero-filled and the kernel writes back a NUL-terminated name.
  return TapDevice{std::move(fd), std::string{request.ifr_name}};
}

}  // namespace tapstack::tapdev
