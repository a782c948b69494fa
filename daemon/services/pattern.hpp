// The byte pattern that HTTP GET /bytes/N and chargen send: byte i of a stream is i mod 251.
// 251 is prime and not a divisor of any power of two, so a misplaced, repeated or lost block of
// any power-of-two size shows up as a mismatch at the receiver.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace tapstack::daemon::services {

inline constexpr std::uint64_t kPatternModulus = 251;

inline std::byte pattern_byte(std::uint64_t offset) {
  return static_cast<std::byte>(offset % kPatternModulus);
}

// Writes bytes offset .. offset + out.size() - 1 of the pattern into `out`.
void fill_pattern(std::uint64_t offset, std::span<std::byte> out);

}  // namespace tapstack::daemon::services
