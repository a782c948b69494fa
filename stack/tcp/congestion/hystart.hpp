// HyStart++ (RFC 9406): leave the initial slow start when the round-trip time rises, through a
// few rounds of Conservative Slow Start (CSS) that undo a premature exit caused by jitter.
//
// Rounds are delimited by sequence numbers (RFC 9406 §4.2): a round ends when the cumulative
// ACK reaches window_end, the SND.NXT recorded when the round began.
#pragma once

#include <cstdint>
#include <optional>

#include "stack/base/time.hpp"
#include "stack/tcp/congestion/ack_sample.hpp"
#include "stack/tcp/seq_num.hpp"

namespace tapstack {

// RFC 9406 §4.3 constants.
inline constexpr Duration kHyStartMinRttThresh = std::chrono::milliseconds(4);
inline constexpr Duration kHyStartMaxRttThresh = std::chrono::milliseconds(16);
inline constexpr int kHyStartMinRttDivisor = 8;
inline constexpr unsigned kHyStartRttSamples = 8;  // N_RTT_SAMPLE
inline constexpr std::uint32_t kHyStartCssGrowthDivisor = 4;
inline constexpr unsigned kHyStartCssRounds = 5;
// L for a sender without pacing: slow start may grow cwnd by at most 8 SMSS per ACK.
inline constexpr std::uint32_t kHyStartLimitSegments = 8;

enum class HyStartPhase {
  slow_start,               // standard slow start, watching the RTT
  conservative_slow_start,  // CSS: growth divided by CSS_GROWTH_DIVISOR
  done,                     // congestion avoidance reached, or a loss ended slow start
};

// A value type; the owner (Cubic) calls on_ack() only while in its initial slow start.
class HyStart {
 public:
  // How the ACK just seen may grow cwnd.
  enum class Growth { standard, conservative, leave_slow_start };

  // Precondition: phase() != done. Tracks rounds and RTT samples and returns how this ACK may
  // grow cwnd; leave_slow_start means CSS_ROUNDS rounds of CSS are over and the caller must
  // enter congestion avoidance (ssthresh = cwnd).
  Growth on_ack(const AckSample& ack);

  // A congestion event or RTO ended slow start. RFC 9406 §4.2: HyStart++ is used only for the
  // initial slow start; later ones stop at the ssthresh they already have.
  void stop() { phase_ = HyStartPhase::done; }

  HyStartPhase phase() const { return phase_; }
  bool active() const { return phase_ != HyStartPhase::done; }
  std::optional<Duration> css_baseline_min_rtt() const { return css_baseline_min_rtt_; }

 private:
  void start_round(SeqNum snd_nxt);
  void take_rtt_sample(Duration rtt);

  HyStartPhase phase_ = HyStartPhase::slow_start;
  std::optional<SeqNum> window_end_;  // none until the first ACK starts the first round
  // RFC 9406 "infinity" is an empty optional.
  std::optional<Duration> last_round_min_rtt_;
  std::optional<Duration> current_round_min_rtt_;
  unsigned rtt_sample_count_ = 0;
  std::optional<Duration> css_baseline_min_rtt_;
  unsigned css_rounds_ = 0;
};

}  // namespace tapstack
