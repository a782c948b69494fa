// HyStart++ (RFC 9406). See hystart.hpp.
#include "stack/tcp/congestion/hystart.hpp"

#include <algorithm>
#include <cassert>

namespace tapstack {

HyStart::Growth HyStart::on_ack(const AckSample& ack) {
  assert(active());
  if (!window_end_ || ack.ack >= *window_end_) {
    start_round(ack.snd_nxt);
    // RFC 9406 §4.2: after CSS_ROUNDS rounds in CSS, enter congestion avoidance. The round in
    // which CSS began counts as the first.
    if (phase_ == HyStartPhase::conservative_slow_start && ++css_rounds_ >= kHyStartCssRounds) {
      phase_ = HyStartPhase::done;
      return Growth::leave_slow_start;
    }
  }
  // The growth for this ACK is decided by the phase before its RTT sample is looked at: a
  // phase change applies from the next ACK on.
  const Growth growth =
      phase_ == HyStartPhase::slow_start ? Growth::standard : Growth::conservative;
  if (ack.rtt) take_rtt_sample(*ack.rtt);
  return growth;
}

// RFC 9406 §4.2: at the start of each round, remember the last round's minimum RTT and
// start measuring a new one.
void HyStart::start_round(SeqNum snd_nxt) {
  last_round_min_rtt_ = current_round_min_rtt_;
  current_round_min_rtt_.reset();
  rtt_sample_count_ = 0;
  window_end_ = snd_nxt;
}

void HyStart::take_rtt_sample(Duration rtt) {
  current_round_min_rtt_ = current_round_min_rtt_ ? std::min(*current_round_min_rtt_, rtt) : rtt;
  ++rtt_sample_count_;
  if (rtt_sample_count_ < kHyStartRttSamples) return;
  const Duration current = *current_round_min_rtt_;
  if (phase_ == HyStartPhase::slow_start) {
    if (!last_round_min_rtt_) return;
    // RttThresh = max(MIN_RTT_THRESH, min(lastRoundMinRTT / MIN_RTT_DIVISOR, MAX_RTT_THRESH))
    const Duration threshold = std::clamp(*last_round_min_rtt_ / kHyStartMinRttDivisor,
                                          kHyStartMinRttThresh, kHyStartMaxRttThresh);
    if (current >= *last_round_min_rtt_ + threshold) {
      css_baseline_min_rtt_ = current;
      css_rounds_ = 0;
      phase_ = HyStartPhase::conservative_slow_start;
    }
    return;
  }
  // In CSS: an RTT below the baseline means the increase was jitter, not a queue: the exit
  // was premature, resume standard slow start.
  if (current < *css_baseline_min_rtt_) {
    css_baseline_min_rtt_.reset();
    phase_ = HyStartPhase::slow_start;
  }
}

}  // namespace tapstack
