// Virtual time for the stack. The stack never reads a clock: the daemon (or a test) passes `now`
// into every entry point, so protocol behaviour is deterministic and replayable.
#pragma once

#include <chrono>
#include <cstdint>

namespace tapstack {

// A clock tag with no now(): only the caller of the stack can produce an Instant.
struct StackClock {
  using rep = std::int64_t;
  using period = std::nano;
  using duration = std::chrono::nanoseconds;
  using time_point = std::chrono::time_point<StackClock>;
  static constexpr bool is_steady = true;
};

using Duration = StackClock::duration;
using Instant = StackClock::time_point;

// "No deadline": later than any real instant.
inline constexpr Instant kNever = Instant::max();

// Test and config helper: an instant `d` after the epoch of virtual time.
constexpr Instant at(Duration d) {
  return Instant{d};
}

}  // namespace tapstack
