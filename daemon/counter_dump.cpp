#include "daemon/counter_dump.hpp"

#include <string>

namespace tapstack::daemon {
namespace {

void log_counter(const Logger& log, std::string_view prefix, std::string_view name,
                 std::uint64_t value) {
  std::string line = "counter ";
  line.append(prefix).append(name).append(" ").append(std::to_string(value));
  log.info(line);
}

}  // namespace

void log_counters(const Logger& log, const Counters& stack, std::span<const Device> devices) {
  for (std::size_t i = 0; i < kCounterCount; ++i) {
    log_counter(log, "", kCounterNames[i], stack.all()[i]);
  }
  tapdev::DeviceCounters total;
  for (const Device& device : devices) {
    total += device.io->counters();
  }
  for (const auto& [name, value] : total.named()) log_counter(log, "tap_", name, value);
}

}  // namespace tapstack::daemon
