// From the typed configuration to the settings of the stack and of the frame I/O: the only place
// where the daemon decides how configuration values map onto components.
#pragma once

#include <cstdint>

#include "config/config.hpp"
#include "stack/stack.hpp"
#include "tapdev/frame_io.hpp"

namespace tapstack::daemon {

// An Ethernet header in front of every frame on the TAP (no VLAN tag; the virtio-net header,
// when there is one, is FrameIo's business).
inline constexpr std::size_t kEthernetHeaderSize = 14;
// The largest IPv4 datagram, which a TCP segment the kernel coalesced (GRO/TSO) may reach.
inline constexpr std::size_t kMaxIpv4Datagram = 65535;
// 64 KB TX buffers for TSO segments: plenty, since a TAP write completes at once; when all are
// in use, TCP sends MTU-sized segments. 128 x 64 KB = 8 MB, touched only as used.
inline constexpr std::size_t kGsoBuffers = 128;

// The stack's MAC when none is configured: the locally administered prefix 02:54:53 ("TS")
// followed by the low three bytes of `address`, so every address gets a stable, distinct MAC.
MacAddr default_mac(Ipv4Addr address);

// Whether the devices are opened with the virtio-net header for offloads: as configured,
// except under fault injection, whose corrupted frames must meet real checksums.
bool wants_offloads(const config::Config& config);

StackSettings stack_settings(const config::Config& config, std::uint64_t seed);
// The `tcp:` section as the stack's TcpSettings, field by field.
TcpSettings tcp_settings(const config::TcpConfig& tcp);
// Precondition: interface.addresses is not empty (the configuration is validated).
// `offloads`: the interface's device has them (Device::offloads).
InterfaceSettings interface_settings(const config::InterfaceConfig& interface, bool offloads);
// With offloads every read takes a frame of up to 64 KB and its virtio-net header.
tapdev::FrameIoSettings frame_io_settings(const config::TapConfig& tap, std::uint16_t mtu,
                                          bool offloads);

}  // namespace tapstack::daemon
