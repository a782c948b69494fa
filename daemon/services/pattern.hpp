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

// The most bytes pattern_view() returns at once.
inline constexpr std::size_t kPatternViewMax = 64 * 1024;

// Bytes offset .. offset + min(length, kPatternViewMax) - 1 of the pattern, without copying:
// a view into a block computed once, since the pattern repeats every 251 bytes. The senders
// (chargen, /bytes/N) hand it straight to the send buffer: generating the bytes anew for every
// send was a quarter of chargen's CPU (bench/RESULTS.md, 2026-12-03 profile).
std::span<const std::byte> pattern_view(std::uint64_t offset, std::size_t length);

}  // namespace tapstack::daemon::services
