// One TAP device of the daemon: created, its kernel side configured over rtnetlink, and its frame
// I/O ready. Only the kernel side of the TAP is configured (MTU, link up, host_address); the
// stack's own MAC and addresses are not the TAP's: the stack is a host at the other end of the
// TAP "wire".
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "daemon/log.hpp"
#include "stack/base/interface_id.hpp"
#include "stack/base/result.hpp"
#include "tapdev/frame_io.hpp"
#include "tapdev/tap_device.hpp"

namespace tapstack::daemon {

struct Device {
  tapdev::TapDevice tap;
  std::unique_ptr<tapdev::FrameIo> io;  // declared after `tap`: destroyed before it is closed
  InterfaceId interface = 0;            // the stack's interface, set once it is added
  bool offloads = false;                // checksum offload and TSO in effect on this device
};

// Creates or attaches the TAP device of `interface`, sets its MTU and brings it up, assigns
// host_address (if any), and sets up its frame I/O, with offloads if `offloads` and the kernel
// has them. `log` receives I/O warnings later on and must outlive the device. Failures name
// the step and carry the kernel's errno text.
Result<Device, std::string> open_device(const config::InterfaceConfig& interface,
                                        const config::TapConfig& tap, bool offloads,
                                        const Logger& log);

// Stops frame I/O and closes every TAP device (the kernel removes the ones it created for us),
// logging each release.
void close_devices(std::vector<Device>& devices, const Logger& log);

}  // namespace tapstack::daemon
