// CUBIC congestion control (RFC 9438) with HyStart++ (RFC 9406) for the initial slow start.
// Window formulas work in segments and seconds with doubles, as the RFC writes them; cwnd and
// ssthresh are kept in bytes like the rest of the stack.
#pragma once

#include <cstdint>
#include <optional>

#include "stack/base/time.hpp"
#include "stack/tcp/congestion/ack_sample.hpp"
#include "stack/tcp/congestion/hystart.hpp"

namespace tapstack {

inline constexpr double kCubicC = 0.4;     // RFC 9438 §5: C, in segments / second^3
inline constexpr double kCubicBeta = 0.7;  // RFC 9438 §4.6: beta_cubic
// RFC 9438 §4.3: alpha_cubic = 3 * (1 - beta) / (1 + beta), Reno-friendly with beta = 0.7.
inline constexpr double kCubicAlpha = 3.0 * (1.0 - kCubicBeta) / (1.0 + kCubicBeta);

// RFC 9438 §4.2 eq. 2: K = cbrt((W_max - cwnd_epoch) / C), in seconds; 0 when cwnd_epoch
// already reaches W_max. Windows in segments.
double cubic_k(double w_max, double cwnd_epoch);
// RFC 9438 §4.2 eq. 1: W_cubic(t) = C * (t - K)^3 + W_max, in segments, t in seconds.
double cubic_window(double t, double k, double w_max);

// What `ss -i` style reporting can show about CUBIC.
struct CubicInfo {
  std::optional<double> w_max;         // segments; none before the first congestion event
  double k = 0;                        // seconds
  std::optional<Instant> epoch_start;  // none outside congestion avoidance
  double w_est = 0;                    // segments, Reno-friendly estimate
  HyStartPhase hystart = HyStartPhase::slow_start;
};

// A value type. Same calling contract as NewReno (see congestion_control.hpp).
class Cubic {
 public:
  // Precondition: smss > 0. cwnd starts at the RFC 6928 initial window.
  Cubic(std::uint32_t smss, Instant now);

  void on_ack(const AckSample& ack);
  void on_congestion_event(Instant now, std::uint32_t bytes_in_flight);
  void on_recovery_exit(Instant now);
  void on_rto(Instant now, std::uint32_t bytes_in_flight);
  void set_smss(std::uint32_t smss);

  std::uint32_t cwnd() const { return cwnd_; }
  std::uint32_t ssthresh() const { return ssthresh_; }
  std::uint32_t smss() const { return smss_; }
  bool in_slow_start() const { return cwnd_ < ssthresh_; }
  CubicInfo info() const;

 private:
  void slow_start(const AckSample& ack);
  void congestion_avoidance(const AckSample& ack);
  void start_epoch(Instant now);
  void grow_toward(double target_segments, std::uint32_t acked_bytes);
  void track_rtt(Duration rtt);
  double segments(std::uint32_t bytes) const;

  std::uint32_t smss_;
  std::uint32_t cwnd_;
  std::uint32_t ssthresh_;
  HyStart hystart_;
  // RFC 9438 §4 state, in segments and seconds.
  std::optional<double> w_max_;  // none: before any congestion event, or after an RTO (§4.8)
  double cwnd_prior_ = 0;        // cwnd when ssthresh was last set (§4.6)
  double k_ = 0;
  double w_est_ = 0;
  std::optional<Instant> epoch_start_;  // t_epoch; none until the first ACK in the CA stage
  double growth_credit_ = 0;            // fractional bytes of cwnd growth not yet applied
  std::optional<Duration> srtt_;        // the RTT of W_cubic(t + RTT), smoothed as RFC 6298
  Instant last_ack_;
  bool initial_window_ = true;
  bool in_loss_episode_ = false;  // ssthresh already reduced for the current loss
};

}  // namespace tapstack
