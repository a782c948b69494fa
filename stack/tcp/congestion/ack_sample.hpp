// What one arriving ACK tells a congestion controller (RFC 5681 §3, RFC 9438 §4, RFC 9406 §4).
#pragma once

#include <cstdint>
#include <optional>

#include "stack/base/time.hpp"
#include "stack/tcp/seq_num.hpp"

namespace tapstack {

struct AckSample {
  Instant now;
  // Newly cumulatively acknowledged bytes (and, with SACK, newly SACKed bytes): RFC 3465 counts
  // bytes, not ACKs, so stretch ACKs and delayed ACKs grow cwnd fairly.
  std::uint32_t acked_bytes = 0;
  std::uint32_t bytes_in_flight = 0;  // before this ACK
  std::optional<Duration> rtt;        // a valid RTT sample (Karn's rule applied by the caller)
  SeqNum ack;                         // the cumulative ACK
  SeqNum snd_nxt;                     // at the time of the ACK: HyStart++ delimits rounds with it
  // The sender had less than cwnd to send: do not grow cwnd (RFC 7661 spirit; RFC 9438 §4.6
  // requires it of a CUBIC that computes ssthresh from cwnd instead of the flight size).
  bool app_limited = false;
};

}  // namespace tapstack
