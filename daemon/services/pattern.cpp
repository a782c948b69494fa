#include "daemon/services/pattern.hpp"

#include <algorithm>
#include <array>

namespace tapstack::daemon::services {

void fill_pattern(std::uint64_t offset, std::span<std::byte> out) {
  // One modulo per call, then a counter that wraps: this runs for every byte sent.
  auto value = static_cast<std::uint32_t>(offset % kPatternModulus);
  for (std::byte& byte : out) {
    byte = static_cast<std::byte>(value);
    if (++value == kPatternModulus) value = 0;
  }
}

std::span<const std::byte> pattern_view(std::uint64_t offset, std::size_t length) {
  // Starts at any phase (< 251) and still holds kPatternViewMax bytes after it.
  static const auto block = [] {
    std::array<std::byte, kPatternViewMax + kPatternModulus> bytes{};
    fill_pattern(0, bytes);
    return bytes;
  }();
  const auto phase = static_cast<std::size_t>(offset % kPatternModulus);
  return std::span{block}.subspan(phase, std::min(length, kPatternViewMax));
}

}  // namespace tapstack::daemon::services
