#include "stack/tcp/isn_generator.hpp"

#include <chrono>

namespace tapstack {

std::uint32_t IsnGenerator::clock_ticks(Instant now) {
  using Ticks = std::chrono::duration<std::int64_t, std::ratio<4, 1'000'000>>;
  const auto ticks = std::chrono::floor<Ticks>(now.time_since_epoch()).count();
  // Modulo 2^32: the conversion of a negative count (instants before the epoch) wraps the same way.
  return static_cast<std::uint32_t>(ticks);
}

}  // namespace tapstack
