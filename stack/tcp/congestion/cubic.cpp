// CUBIC (RFC 9438) with HyStart++ (RFC 9406). See cubic.hpp.
#include "stack/tcp/congestion/cubic.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>

#include "stack/tcp/congestion/window_rules.hpp"

namespace tapstack {
namespace {

// Standard slow start after HyStart++ is done (RFC 9406 §4.2 falls back to it): RFC 3465 L.
constexpr std::uint32_t kAbcLimitSegments = 2;
// RFC 9438 §4.2: "t_epoch ... current_time": the cubic clock runs in seconds.
double seconds(Duration d) {
  return std::chrono::duration<double>(d).count();
}

// RFC 9438 §4.6: ssthresh = max(cwnd * beta_cubic, 2 * SMSS), computed in integers (beta = 7/10)
// so that the byte result does not depend on the rounding of 0.7.
std::uint32_t reduced_ssthresh(std::uint32_t cwnd, std::uint32_t smss) {
  static_assert(kCubicBeta == 0.7);
  const std::uint64_t reduced = std::uint64_t{cwnd} * 7 / 10;
  return static_cast<std::uint32_t>(std::max<std::uint64_t>(reduced, std::uint64_t{2} * smss));
}

}  // namespace

double cubic_k(double w_max, double cwnd_epoch) {
  if (cwnd_epoch >= w_max) return 0.0;
  return std::cbrt((w_max - cwnd_epoch) / kCubicC);
}

double cubic_window(double t, double k, double w_max) {
  const double d = t - k;
  return kCubicC * d * d * d + w_max;
}

Cubic::Cubic(std::uint32_t smss, Instant now)
    : smss_(smss), cwnd_(initial_window(smss)), ssthresh_(kInitialSsthresh), last_ack_(now) {
  assert(smss > 0);
}

double Cubic::segments(std::uint32_t bytes) const {
  return static_cast<double>(bytes) / static_cast<double>(smss_);
}

void Cubic::track_rtt(Duration rtt) {
  // RFC 9438 §4.4 asks for the smoothed RTT; RFC 6298's gain of 1/8 without its variance.
  srtt_ = srtt_ ? (7 * *srtt_ + rtt) / 8 : rtt;
}

void Cubic::on_ack(const AckSample& ack) {
  if (ack.rtt) track_rtt(*ack.rtt);
  const Instant previous_ack = last_ack_;
  last_ack_ = ack.now;
  if (ack.acked_bytes > 0) in_loss_episode_ = false;
  if (in_slow_start()) {
    slow_start(ack);
    return;
  }
  if (ack.app_limited) {
    // RFC 9438 §5.8: cwnd does not grow while the application limits the flow, and the time
    // spent so does not count in t, or cwnd would leap when the application catches up.
    if (epoch_start_) *epoch_start_ += ack.now - previous_ack;
    return;
  }
  if (ack.acked_bytes > 0) congestion_avoidance(ack);
}

void Cubic::slow_start(const AckSample& ack) {
  std::uint32_t limit = kAbcLimitSegments;
  std::uint32_t divisor = 1;
  if (hystart_.active()) {
    limit = kHyStartLimitSegments;
    switch (hystart_.on_ack(ack)) {
      case HyStart::Growth::leave_slow_start:
        // RFC 9406 §4.2: enter congestion avoidance with ssthresh = cwnd. W_max stays unset,
        // so the first epoch starts with K = 0 and W_max = cwnd (RFC 9438 §4.10).
        ssthresh_ = cwnd_;
        return;
      case HyStart::Growth::conservative:
        divisor = kHyStartCssGrowthDivisor;
        break;
      case HyStart::Growth::standard:
        break;
    }
  }
  if (ack.app_limited || ack.acked_bytes == 0) return;
  initial_window_ = false;
  const std::uint32_t increase = slow_start_increase(ack.acked_bytes, limit, smss_) / divisor;
  cwnd_ = grown_window(cwnd_, increase, ssthresh_);
}

// RFC 9438 §4.2/§4.3: a congestion avoidance stage (epoch) begins with the first ACK after
// a window reduction or after slow start.
void Cubic::start_epoch(Instant now) {
  epoch_start_ = now;
  const double cwnd_epoch = segments(cwnd_);
  if (!w_max_) {
    // RFC 9438 §4.8 (after an RTO) and §4.10 (slow start left without loss): W_max is the cwnd
    // at the start of the stage, K = 0; cwnd_prior likewise, so W_est grows like Reno.
    cwnd_prior_ = cwnd_epoch;
  }
  // Below cwnd_epoch, W_cubic would start under cwnd and stall; grow from cwnd instead (Linux
  // bictcp_update's origin_point does the same).
  if (!w_max_ || *w_max_ < cwnd_epoch) w_max_ = cwnd_epoch;
  k_ = cubic_k(*w_max_, cwnd_epoch);
  w_est_ = cwnd_epoch;
  growth_credit_ = 0;
}

void Cubic::congestion_avoidance(const AckSample& ack) {
  if (!epoch_start_) start_epoch(ack.now);
  const double cwnd_segments = segments(cwnd_);
  // RFC 9438 §4.3: W_est grows like Reno with alpha_cubic per cwnd of acked data, and with
  // alpha = 1 (plain Reno) once it has reached cwnd_prior.
  const double alpha = w_est_ >= cwnd_prior_ ? 1.0 : kCubicAlpha;
  w_est_ += alpha * segments(ack.acked_bytes) / cwnd_segments;
  const double t = seconds(ack.now - *epoch_start_);
  if (cubic_window(t, k_, *w_max_) < w_est_) {
    // Reno-friendly region: cwnd follows W_est (never shrinking on an ACK).
    const double w_est_bytes = std::min(w_est_ * smss_, static_cast<double>(kMaxCwnd));
    cwnd_ = std::max(cwnd_, static_cast<std::uint32_t>(w_est_bytes));
    return;
  }
  // RFC 9438 §4.4 (concave, cwnd < W_max) and §4.5 (convex): aim at W_cubic one RTT ahead,
  // but neither below cwnd nor above 1.5 * cwnd.
  const double rtt = srtt_ ? seconds(*srtt_) : 0.0;
  const double target =
      std::clamp(cubic_window(t + rtt, k_, *w_max_), cwnd_segments, 1.5 * cwnd_segments);
  grow_toward(target, ack.acked_bytes);
}

// RFC 9438 §4.4: cwnd += (target - cwnd) / cwnd per acked segment, here per acked byte so that
// a full window of ACKs moves cwnd to target. Fractions of a byte carry over.
void Cubic::grow_toward(double target_segments, std::uint32_t acked_bytes) {
  const double cwnd_segments = segments(cwnd_);
  growth_credit_ += (target_segments - cwnd_segments) / cwnd_segments * acked_bytes;
  const double whole = std::floor(std::min(growth_credit_, static_cast<double>(kMaxCwnd)));
  growth_credit_ -= whole;
  cwnd_ = grown_window(cwnd_, static_cast<std::uint64_t>(whole), kMaxCwnd);
}

void Cubic::on_congestion_event(Instant /*now*/, std::uint32_t /*bytes_in_flight*/) {
  // RFC 9438 §4.6 uses cwnd rather than the flight size here, as Linux does; the app_limited
  // rule in on_ack keeps cwnd from outgrowing what is actually in flight.
  hystart_.stop();
  const double cwnd_segments = segments(cwnd_);
  // RFC 9438 §4.7 fast convergence: a flow whose W_max keeps shrinking releases bandwidth.
  if (w_max_ && cwnd_segments < *w_max_) {
    w_max_ = cwnd_segments * (1.0 + kCubicBeta) / 2.0;
  } else {
    w_max_ = cwnd_segments;
  }
  cwnd_prior_ = cwnd_segments;
  ssthresh_ = reduced_ssthresh(cwnd_, smss_);
  cwnd_ = ssthresh_;
  epoch_start_.reset();
  in_loss_episode_ = true;
  initial_window_ = false;
}

void Cubic::on_recovery_exit(Instant /*now*/) {
  cwnd_ = ssthresh_;
  epoch_start_.reset();  // the congestion avoidance stage starts with the next ACK
  in_loss_episode_ = false;
}

// RFC 9438 §4.8: reduce like Reno to one segment, ssthresh with beta_cubic; the next stage
// grows from K = 0 with W_max = cwnd at its start.
void Cubic::on_rto(Instant /*now*/, std::uint32_t /*bytes_in_flight*/) {
  hystart_.stop();
  // RFC 5681 §3.1: a repeated timeout of the same data holds ssthresh; as in Linux, so does a
  // timeout during fast recovery, whose ssthresh was already reduced for this loss.
  if (!in_loss_episode_) ssthresh_ = reduced_ssthresh(cwnd_, smss_);
  in_loss_episode_ = true;
  w_max_.reset();
  epoch_start_.reset();
  cwnd_ = smss_;
  initial_window_ = false;
}

void Cubic::set_smss(std::uint32_t smss) {
  assert(smss > 0);
  smss_ = smss;
  if (initial_window_) cwnd_ = initial_window(smss);
}

CubicInfo Cubic::info() const {
  return CubicInfo{w_max_, k_, epoch_start_, w_est_, hystart_.phase()};
}

}  // namespace tapstack
