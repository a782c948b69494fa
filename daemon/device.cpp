#include "daemon/device.hpp"

#include "daemon/settings.hpp"
#include "tapdev/netlink.hpp"

namespace tapstack::daemon {
namespace {

Result<void, std::string> configure_kernel_side(const std::string& name,
                                                const config::InterfaceConfig& interface) {
  auto netlink = tapdev::Netlink::open();
  if (!netlink) return unexpected(netlink.error());
  auto index = netlink->link_index(name);
  if (!index) return unexpected(index.error());
  if (auto done = netlink->set_mtu(*index, interface.mtu); !done) return done;
  if (auto done = netlink->set_link_up(*index); !done) return done;
  if (interface.host_address) {
    if (auto done = netlink->add_address(*index, *interface.host_address); !done) return done;
  }
  return {};
}

}  // namespace

Result<Device, std::string> open_device(const config::InterfaceConfig& interface,
                                        const config::TapConfig& tap, bool offloads,
                                        const Logger& log) {
  auto device = tapdev::TapDevice::open(interface.tap_name, offloads);
  if (!device) return unexpected(device.error());
  const std::string name = device->name();
  std::string offload_text = "off";
  if (offloads) {
    if (auto enabled = device->enable_offloads(); !enabled) {
      log.warn("TAP " + name + ": no offloads (" + enabled.error() +
               "); frames go at the MTU with checksums computed here");
      offloads = false;
    } else {
      // Without USO (kernels before 6.2) the host cuts UDP datagrams itself: nothing is lost.
      offload_text = enabled->udp_segmentation
                         ? "on (checksum, TSO, USO)"
                         : "on (checksum, TSO; no USO: the kernel refused TUN_F_USO4/6)";
    }
  }
  // Before the link goes up, so the kernel sends nothing the frame I/O cannot read whole.
  if (auto configured = configure_kernel_side(name, interface); !configured) {
    return unexpected("TAP " + name + ": " + configured.error());
  }
  auto io = tapdev::FrameIo::create(
      device->fd(), frame_io_settings(tap, interface.mtu, offloads),
      [&log, name](const std::string& text) { log.warn("TAP " + name + ": " + text); });
  if (!io) return unexpected("TAP " + name + ": " + io.error());
  log.info("TAP " + name + " up, mtu " + std::to_string(interface.mtu) + ", host address " +
           (interface.host_address ? interface.host_address->to_string() : "unchanged") + ", " +
           std::to_string(tap.rx_buffers) + " receive buffers (" +
           ((*io)->uses_fixed_buffers() ? "registered, read_fixed" : "not registered, read") +
           "), offloads " + offload_text);
  return Device{std::move(*device), std::move(*io), 0, offloads};
}

void close_devices(std::vector<Device>& devices, const Logger& log) {
  while (!devices.empty()) {
    const std::string name = devices.back().tap.name();
    // A Device stops its frame I/O (cancelling the reads in flight) before closing the TAP.
    devices.pop_back();
    log.info("TAP " + name + " released");
  }
}

}  // namespace tapstack::daemon
