// Retransmission timeout estimation: RFC 6298 (SRTT/RTTVAR, clamping, exponential backoff).
//
// Karn's rule (RFC 6298 §3) is the caller's: without timestamps, never sample() the RTT of a
// segment that was retransmitted; with RFC 7323 timestamps the echoed TSval identifies the
// transmission, so such samples are valid and may be fed in.
#pragma once

#include <chrono>
#include <optional>

#include "stack/base/time.hpp"

namespace tapstack {

struct RtoSettings {
  // RFC 6298 §2.4 says 1 s; like Linux we allow a lower floor (200 ms) for LAN paths.
  Duration min = std::chrono::milliseconds(200);
  Duration max = std::chrono::seconds(120);    // RFC 6298 §2.5: "at least 60 seconds"
  Duration initial = std::chrono::seconds(1);  // RFC 6298 §2.1
};

// A value type: samples in, RTO out. No clock; the caller measures RTTs with its own `now`.
class RttEstimator {
 public:
  // Precondition: 0 < settings.min <= settings.initial <= settings.max.
  explicit RttEstimator(const RtoSettings& settings);

  // RFC 6298 §2.2 (first sample) / §2.3 (later samples). Precondition: rtt >= 0.
  // A valid sample also clears the backoff: the path answers again (RFC 6298 §5.7 note; Linux
  // recomputes the RTO from SRTT on the next ACK that yields a sample).
  void sample(Duration rtt);

  // The base RTO (SRTT + max(G, 4*RTTVAR), or `initial` before any sample) clamped to [min, max]
  // (§2.4, §2.5), doubled once per backoff() and capped at max.
  Duration rto() const;

  // RFC 6298 §5.5: back the timer off after it expired. Saturating.
  void backoff();
  unsigned backoff_count() const { return backoff_count_; }

  std::optional<Duration> srtt() const { return srtt_; }
  Duration rttvar() const { return rttvar_; }  // zero before the first sample
  // The smallest sample seen over the connection's life (no windowing).
  std::optional<Duration> min_rtt() const { return min_rtt_; }
  Duration latest() const { return latest_; }  // zero before the first sample

 private:
  Duration base_rto() const;

  RtoSettings settings_;
  std::optional<Duration> srtt_;
  Duration rttvar_{0};
  std::optional<Duration> min_rtt_;
  Duration latest_{0};
  unsigned backoff_count_ = 0;
};

}  // namespace tapstack
