// NewReno congestion control: RFC 5681 (slow start, congestion avoidance, loss response),
// RFC 3465 (appropriate byte counting), RFC 6928 (initial window), RFC 6582 / RFC 6675 (the
// window at the start and end of fast recovery; the recovery bookkeeping is the connection's).
#pragma once

#include <cstdint>

#include "stack/base/time.hpp"
#include "stack/tcp/congestion/ack_sample.hpp"

namespace tapstack {

// A value type holding cwnd and ssthresh in bytes. No clock: times come from the caller.
class NewReno {
 public:
  // Precondition: smss > 0. cwnd starts at the RFC 6928 initial window.
  NewReno(std::uint32_t smss, Instant now);

  // An ACK of new data outside loss recovery.
  void on_ack(const AckSample& ack);
  // Loss detected by duplicate ACKs or SACK: entering fast recovery.
  void on_congestion_event(Instant now, std::uint32_t bytes_in_flight);
  // The recovery point was cumulatively acknowledged.
  void on_recovery_exit(Instant now);
  // The retransmission timer expired.
  void on_rto(Instant now, std::uint32_t bytes_in_flight);
  // After MSS negotiation. If cwnd is still the initial window it is recomputed, since
  // RFC 6928 defines IW in segments. Precondition: smss > 0.
  void set_smss(std::uint32_t smss);

  std::uint32_t cwnd() const { return cwnd_; }
  std::uint32_t ssthresh() const { return ssthresh_; }
  std::uint32_t smss() const { return smss_; }
  // RFC 5681 §3.1: slow start while cwnd < ssthresh.
  bool in_slow_start() const { return cwnd_ < ssthresh_; }

 private:
  void reduce_ssthresh(std::uint32_t bytes_in_flight);

  std::uint32_t smss_;
  std::uint32_t cwnd_;
  std::uint32_t ssthresh_;
  std::uint32_t bytes_acked_ = 0;  // RFC 3465 §2.1 congestion avoidance byte counter
  bool initial_window_ = true;     // cwnd untouched since construction
  bool in_loss_episode_ = false;   // ssthresh already reduced for the current loss
};

}  // namespace tapstack
