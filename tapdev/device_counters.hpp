// Counters of one device's frame I/O (FrameIo), shown next to the stack's counters with the
// prefix `tap_` (e.g. tap_rx_frames). Like the stack's, every drop has a named counter.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <utility>

namespace tapstack::tapdev {

struct DeviceCounters {
  std::uint64_t rx_frames = 0;  // frames read from the device and handed to the stack
  std::uint64_t rx_bytes = 0;
  std::uint64_t tx_frames = 0;  // frames the device accepted whole
  std::uint64_t tx_bytes = 0;
  std::uint64_t rx_errors = 0;          // failed or empty reads
  std::uint64_t tx_errors = 0;          // failed or short writes (the frame is lost)
  std::uint64_t tx_drop_ring_full = 0;  // frames dropped because tx_buffers writes were in flight
  std::uint64_t rx_gso_frames = 0;  // TCP segments beyond the MTU the kernel coalesced (GRO/TSO)
  std::uint64_t tx_gso_frames = 0;  // TCP segments beyond the MTU given to the kernel to cut

  DeviceCounters& operator+=(const DeviceCounters& other) {
    rx_frames += other.rx_frames;
    rx_bytes += other.rx_bytes;
    tx_frames += other.tx_frames;
    tx_bytes += other.tx_bytes;
    rx_errors += other.rx_errors;
    tx_errors += other.tx_errors;
    tx_drop_ring_full += other.tx_drop_ring_full;
    rx_gso_frames += other.rx_gso_frames;
    tx_gso_frames += other.tx_gso_frames;
    return *this;
  }

  // Every counter with its name, in a fixed order.
  std::array<std::pair<std::string_view, std::uint64_t>, 9> named() const {
    return {{{"rx_frames", rx_frames},
             {"rx_bytes", rx_bytes},
             {"tx_frames", tx_frames},
             {"tx_bytes", tx_bytes},
             {"rx_errors", rx_errors},
             {"tx_errors", tx_errors},
             {"tx_drop_ring_full", tx_drop_ring_full},
             {"rx_gso_frames", rx_gso_frames},
             {"tx_gso_frames", tx_gso_frames}}};
  }
};

}  // namespace tapstack::tapdev
