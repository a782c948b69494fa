// From the typed configuration to the settings of the stack and of the frame I/O: the only place
// where the daemon decides how configuration values map onto components.
#pragma once

#include <cstdint>

#include "config/config.hpp"
#include "stack/stack.hpp"
#include "tapdev/frame_io.hpp"

namespace tapstack::daemon {

// An Ethernet header in front of every frame on the TAP (no VLAN tag, no virtio-net header).
inline constexpr std::size_t kEthernetHeaderSize = 14;

// The stack's MAC when none is configured: the locally administered prefix 02:54:53 ("TS")
// followed by the low three bytes of `address`, so every address gets a stable, distinct MAC.
MacAddr default_mac(Ipv4Addr address);

StackSettings stack_settings(const config::Config& config, std::uint64_t seed);
// The `tcp:` section as the stack's TcpSettings, field by field.
TcpSettings tcp_settings(const config::TcpConfig& tcp);
// Precondition: interface.addresses is not empty (the configuration is validated).
InterfaceSettings interface_settings(const config::InterfaceConfig& interface);
tapdev::FrameIoSettings frame_io_settings(const config::TapConfig& tap, std::uint16_t mtu);

}  // namespace tapstack::daemon
