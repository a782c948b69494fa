// Fault injection on the TAP path (config `fault_injection:`): every device gets an rx injector
// between the TAP and the stack and a tx injector between the stack and the TAP, so integration
// tests can impair the link to a real kernel peer (this kernel has no netem). Deterministic
// from the configured seed, given the same frames at the same instants.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "stack/buffer/packet_buffer.hpp"
#include "stack/fault/fault_injector.hpp"

namespace tapstack::daemon {

class FaultPath {
 public:
  // `frame_size` is the largest Ethernet frame a device writes; `tx_buffers` bounds the delayed
  // frames in flight to the devices at once (their buffers come from a pool of that size).
  // Must outlive the devices' writes in flight: destroy it after closing the devices.
  FaultPath(const config::FaultInjectionConfig& config, std::size_t device_count,
            std::size_t frame_size, std::size_t tx_buffers);

  FaultInjector& rx(std::size_t device) { return rx_[device]; }
  FaultInjector& tx(std::size_t device) { return tx_[device]; }

  // A device buffer holding a copy of `frame`; nullopt when every buffer is in flight (the
  // caller drops the frame and it is counted in tx_pool_exhausted()).
  std::optional<PacketBuffer> copy_for_device(wire::Bytes frame);

  // The earliest instant at which some injector releases a frame; kNever if none holds one.
  Instant next_deadline() const;
  std::uint64_t tx_pool_exhausted() const { return tx_pool_exhausted_; }

  // One line for the start-up log: "rx: drop 1%, delay 10ms; tx: off; seed 7".
  static std::string describe(const config::FaultInjectionConfig& config);

 private:
  std::vector<FaultInjector> rx_;
  std::vector<FaultInjector> tx_;
  BufferPool pool_;
  std::uint64_t tx_pool_exhausted_ = 0;
};

}  // namespace tapstack::daemon
