// NewReno congestion control. See newreno.hpp.
#include "stack/tcp/congestion/newreno.hpp"

#include <cassert>

#include "stack/tcp/congestion/window_rules.hpp"

namespace tapstack {
namespace {

// RFC 3465 §2.2: slow start grows cwnd by at most L = 2*SMSS per ACK.
constexpr std::uint32_t kAbcLimitSegments = 2;

}  // namespace

NewReno::NewReno(std::uint32_t smss, Instant /*now*/)
    : smss_(smss), cwnd_(initial_window(smss)), ssthresh_(kInitialSsthresh) {
  assert(smss > 0);
}

void NewReno::on_ack(const AckSample& ack) {
  if (ack.acked_bytes == 0) return;
  in_loss_episode_ = false;
  if (ack.app_limited) return;  // cwnd was not the limit: this ACK says nothing about capacity
  initial_window_ = false;
  if (in_slow_start()) {
    // RFC 5681 §3.1 eq. 2 with RFC 3465 byte counting; never jump past ssthresh.
    cwnd_ = grown_window(cwnd_, slow_start_increase(ack.acked_bytes, kAbcLimitSegments, smss_),
                         ssthresh_);
    return;
  }
  // RFC 3465 §2.1: count acked bytes; each full cwnd of them grows cwnd by one SMSS, which is
  // RFC 5681 eq. 3 (SMSS*SMSS/cwnd per ACK) without the per-ACK rounding error.
  bytes_acked_ += ack.acked_bytes;
  if (bytes_acked_ >= cwnd_) {
    bytes_acked_ -= cwnd_;
    cwnd_ = grown_window(cwnd_, smss_, kMaxCwnd);
  }
}

void NewReno::reduce_ssthresh(std::uint32_t bytes_in_flight) {
  ssthresh_ = halved_ssthresh(bytes_in_flight, smss_);  // RFC 5681 §3.1 eq. 4
  bytes_acked_ = 0;
  initial_window_ = false;
}

// RFC 6675 §5 step 4.2 / RFC 5681 eq. 4: cwnd = ssthresh. RFC 5681 §3.2's "+ 3*SMSS" and the
// per-dupack inflation only exist to let new data out during recovery; with pipe-based loss
// recovery (RFC 6675) the connection sends while pipe < cwnd, so no inflation is needed and
// nothing has to be deflated afterwards.
void NewReno::on_congestion_event(Instant /*now*/, std::uint32_t bytes_in_flight) {
  reduce_ssthresh(bytes_in_flight);
  cwnd_ = ssthresh_;
  in_loss_episode_ = true;
}

// RFC 6582 §3.2 step 3 (full ACK): cwnd = ssthresh. Since cwnd was never inflated, this only
// restates it; congestion avoidance resumes with a fresh byte counter.
void NewReno::on_recovery_exit(Instant /*now*/) {
  cwnd_ = ssthresh_;
  bytes_acked_ = 0;
  in_loss_episode_ = false;
}

void NewReno::on_rto(Instant /*now*/, std::uint32_t bytes_in_flight) {
  // RFC 5681 §3.1: when the segment has already been retransmitted by the timer, ssthresh is
  // held constant; as in Linux, so it is after a timeout during fast recovery, whose entry
  // already reduced it. A new ACK of data ends the loss episode.
  if (!in_loss_episode_) reduce_ssthresh(bytes_in_flight);
  in_loss_episode_ = true;
  bytes_acked_ = 0;
  cwnd_ = smss_;  // RFC 5681 §3.1: the loss window, LW = 1 SMSS
}

void NewReno::set_smss(std::uint32_t smss) {
  assert(smss > 0);
  smss_ = smss;
  if (initial_window_) cwnd_ = initial_window(smss);
}

}  // namespace tapstack
