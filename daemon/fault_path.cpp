#include "daemon/fault_path.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "config/units.hpp"

namespace tapstack::daemon {
namespace {

std::string percent(double fraction) {
  char text[32];
  std::snprintf(text, sizeof text, "%g%%", fraction * 100);
  return text;
}

std::string describe_direction(const FaultSettings& faults) {
  if (!faults.enabled()) return "off";
  std::string text;
  const auto add = [&](const std::string& item) {
    if (!text.empty()) text += ", ";
    text += item;
  };
  if (faults.drop > 0) add("drop " + percent(faults.drop));
  if (faults.duplicate > 0) add("duplicate " + percent(faults.duplicate));
  if (faults.corrupt > 0) add("corrupt " + percent(faults.corrupt));
  if (faults.reorder > 0) {
    add("reorder " + percent(faults.reorder) + " by " +
        config::format_duration(faults.reorder_delay));
  }
  if (faults.delay > Duration{}) add("delay " + config::format_duration(faults.delay));
  if (faults.jitter > Duration{}) add("jitter " + config::format_duration(faults.jitter));
  if (faults.rate_bits_per_second > 0) {
    add("rate " + std::to_string(faults.rate_bits_per_second) + " bit/s, queue " +
        std::to_string(faults.queue_limit) + " frames");
  }
  return text;
}

}  // namespace

FaultPath::FaultPath(const config::FaultInjectionConfig& config, std::size_t device_count,
                     std::size_t frame_size, std::size_t tx_buffers)
    : pool_(tx_buffers, frame_size) {
  // Distinct seeds per injector, all derived from the configured one, so a run replays.
  for (std::size_t i = 0; i < device_count; ++i) {
    rx_.emplace_back(config.rx, config.seed + 2 * i);
    tx_.emplace_back(config.tx, config.seed + 2 * i + 1);
  }
}

std::optional<PacketBuffer> FaultPath::copy_for_device(wire::Bytes frame) {
  auto buffer = pool_.acquire(0);
  if (!buffer || frame.size() > buffer->tailroom()) {
    ++tx_pool_exhausted_;
    return std::nullopt;
  }
  std::memcpy(buffer->append(frame.size()).data(), frame.data(), frame.size());
  return buffer;
}

Instant FaultPath::next_deadline() const {
  Instant next = kNever;
  for (const FaultInjector& injector : rx_) next = std::min(next, injector.next_deadline());
  for (const FaultInjector& injector : tx_) next = std::min(next, injector.next_deadline());
  return next;
}

std::string FaultPath::describe(const config::FaultInjectionConfig& config) {
  return "rx: " + describe_direction(config.rx) + "; tx: " + describe_direction(config.tx) +
         "; seed " + std::to_string(config.seed);
}

}  // namespace tapstack::daemon
