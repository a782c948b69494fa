// Window arithmetic shared by the congestion controllers: RFC 6928 (initial window), RFC 5681
// §3.1 (ssthresh after loss, eq. 4), RFC 3465 / RFC 9406 (byte-counted slow start).
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>

namespace tapstack {

// RFC 5681 §3.1: the initial ssthresh "MAY be arbitrarily high". Also the ceiling of cwnd, so
// that cwnd < ssthresh stays meaningful and sums never overflow.
inline constexpr std::uint32_t kInitialSsthresh = std::numeric_limits<std::uint32_t>::max() / 2;
inline constexpr std::uint32_t kMaxCwnd = kInitialSsthresh;

// RFC 6928 §2: IW = min(10*MSS, max(2*MSS, 14600)).
constexpr std::uint32_t initial_window(std::uint32_t smss) {
  const std::uint64_t ten = std::uint64_t{10} * smss;
  const std::uint64_t floor = std::max<std::uint64_t>(std::uint64_t{2} * smss, 14600);
  return static_cast<std::uint32_t>(std::min({ten, floor, std::uint64_t{kMaxCwnd}}));
}

// RFC 5681 §3.1 eq. 4: ssthresh = max(FlightSize / 2, 2*SMSS).
constexpr std::uint32_t halved_ssthresh(std::uint32_t bytes_in_flight, std::uint32_t smss) {
  return static_cast<std::uint32_t>(std::min<std::uint64_t>(
      std::max<std::uint64_t>(bytes_in_flight / 2, std::uint64_t{2} * smss), kMaxCwnd));
}

// RFC 3465 §2.2 / RFC 9406 §4.2: a slow-start ACK grows cwnd by min(N, L*SMSS).
constexpr std::uint32_t slow_start_increase(std::uint32_t acked_bytes, std::uint32_t limit_segments,
                                            std::uint32_t smss) {
  return static_cast<std::uint32_t>(
      std::min<std::uint64_t>(acked_bytes, std::uint64_t{limit_segments} * smss));
}

// cwnd + increase, never above `ceiling` (at most kMaxCwnd), and never below cwnd.
constexpr std::uint32_t grown_window(std::uint32_t cwnd, std::uint64_t increase,
                                     std::uint32_t ceiling) {
  return static_cast<std::uint32_t>(
      std::min<std::uint64_t>(cwnd + increase, std::max(ceiling, cwnd)));
}

}  // namespace tapstack
