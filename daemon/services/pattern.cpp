#include "daemon/services/pattern.hpp"

namespace tapstack::daemon::services {

void fill_pattern(std::uint64_t offset, std::span<std::byte> out) {
  // One modulo per call, then a counter that wraps: this runs for every byte sent.
  auto value = static_cast<std::uint32_t>(offset % kPatternModulus);
  for (std::byte& byte : out) {
    byte = static_cast<std::byte>(value);
    if (++value == kPatternModulus) value = 0;
  }
}

}  // namespace tapstack::daemon::services
