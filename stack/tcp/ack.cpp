// Acknowledgement processing: RTT samples (RFC 6298, RFC 7323 §4), the send window
// (RFC 9293 §3.10.7.4), duplicate ACKs and loss recovery: SACK-based (RFC 6675) when the
// peer permits SACK, NewReno (RFC 6582) otherwise, with limited transmit (RFC 3042).
#include <algorithm>
#include <array>

#include "stack/tcp/connection.hpp"

namespace tapstack {
namespace {

using wire::TcpFlags;
constexpr std::uint32_t kDupThresh = 3;  // RFC 5681 §3.2, RFC 6675 §2

}  // namespace

std::uint32_t TcpConnection::bytes_in_flight() const {
  return static_cast<std::uint32_t>(snd_max_ - snd_una_);
}

// RFC 6675 §4 SetPipe() with SACK. Without SACK, each duplicate ACK stands for one segment
// that left the network: the same accounting as RFC 6582's window inflation, expressed as pipe.
std::uint32_t TcpConnection::pipe() const {
  if (sack_enabled_) return scoreboard_.pipe(snd_una_, snd_max_, high_rxt_, smss_);
  const std::int64_t flight = bytes_in_flight();
  const std::int64_t left = std::int64_t{dupacks_} * smss_;
  const std::int64_t resent = in_recovery_ ? std::max<std::int64_t>(high_rxt_ - snd_una_, 0) : 0;
  return static_cast<std::uint32_t>(std::max<std::int64_t>(flight - left + resent, 0));
}

std::uint32_t TcpConnection::apply_sack(const SegmentIn& seg) {
  if (!sack_enabled_ || seg.options.sack_count == 0) return 0;
  std::array<SeqRange, 4> blocks{};
  for (std::size_t i = 0; i < seg.options.sack_count; ++i) {
    blocks[i] = SeqRange{seg.options.sack_blocks[i].left, seg.options.sack_blocks[i].right};
  }
  const auto update = scoreboard_.on_ack(
      seg.ack, snd_max_, std::span<const SeqRange>{blocks.data(), seg.options.sack_count});
  if (update.dsack) ctx_.counters.add(Counter::tcp_rx_dsack);
  if (update.discarded != 0) ctx_.counters.add(Counter::tcp_sack_discarded, update.discarded);
  return update.newly_sacked;
}

// RFC 7323 §4.1: the echoed timestamp times the segment, retransmitted or not. The echo is
// the peer's word: one ahead of our clock, from before this connection existed, or older than
// the largest RTO (no RTT is that long; a stale TS.Recent) is no measurement and must not
// reach the estimator (which asserts a non-negative sample).
std::optional<Duration> TcpConnection::timestamp_rtt(const SegmentIn& seg, Instant now) const {
  if (!ts_enabled_ || !seg.options.timestamps || seg.options.timestamps->echo_reply == 0) {
    return std::nullopt;
  }
  const auto age = static_cast<std::int32_t>(ts_value(now) - seg.options.timestamps->echo_reply);
  const Duration rtt = std::chrono::milliseconds(age);
  if (age < 0 || rtt > now - ts_epoch_ || rtt > ctx_.settings.rto.max) return std::nullopt;
  return rtt;
}

std::optional<Duration> TcpConnection::take_rtt_sample(const SegmentIn& seg, SeqNum acked_to,
                                                       Instant now) {
  std::optional<Duration> sample;
  if (ts_enabled_ && seg.options.timestamps && seg.options.timestamps->echo_reply != 0) {
    sample = timestamp_rtt(seg, now);
  } else if (rtt_probe_ && acked_to >= rtt_probe_->first) {
    sample = now - rtt_probe_->second;
    rtt_probe_.reset();
  }
  if (sample) rtt_.sample(*sample);
  return sample;
}

void TcpConnection::update_send_window(const SegmentIn& seg) {
  // RFC 9293 §3.10.7.4: only a segment newer than the last update may change the window.
  if (snd_wl1_ < seg.seq || (snd_wl1_ == seg.seq && snd_wl2_ <= seg.ack)) {
    snd_wnd_ = std::uint32_t{seg.window} << snd_wscale_;
    max_snd_wnd_ = std::max(max_snd_wnd_, snd_wnd_);
    snd_wl1_ = seg.seq;
    snd_wl2_ = seg.ack;
  }
}

void TcpConnection::on_new_ack(const SegmentIn& seg, Instant now) {
  const std::uint32_t flight_before = bytes_in_flight();
  const auto acked = static_cast<std::uint32_t>(seg.ack - snd_una_);
  const std::size_t space_before = send_buffer_.free_space();
  send_buffer_.acknowledge(seg.ack);
  snd_una_ = seg.ack;
  if (snd_nxt_ < snd_una_) snd_nxt_ = snd_una_;
  if (high_rxt_ < snd_una_) high_rxt_ = snd_una_;
  const std::uint32_t sacked = apply_sack(seg);
  const auto rtt = take_rtt_sample(seg, seg.ack, now);
  timeouts_ = 0;
  first_timeout_ = kNever;
  persist_backoff_ = 0;
  if (after_timeout_ && seg.ack >= recovery_point_) after_timeout_ = false;
  update_send_window(seg);

  if (in_recovery_) {
    if (seg.ack >= recovery_point_) {
      // RFC 6675 §5 / RFC 6582 §3.2 step 3: a full acknowledgement ends recovery.
      in_recovery_ = false;
      dupacks_ = 0;
      congestion_.on_recovery_exit(now);
    } else {
      // Partial ACK: the next hole is lost too (RFC 6582 §3.2 step 4); resend it at once.
      if (!sack_enabled_) {
        dupacks_ = 0;
        retransmit(snd_una_, smss_, now);
        high_rxt_ = seq_max(high_rxt_, snd_una_ + smss_);
      }
      send_recovery_segments(now);
    }
  } else {
    dupacks_ = 0;
    const bool cwnd_limited = std::uint64_t{flight_before} * 2 >= congestion_.cwnd();
    congestion_.on_ack(
        AckSample{now, acked + sacked, flight_before, rtt, seg.ack, snd_max_, !cwnd_limited});
  }
  // RFC 6298 §5.2/5.3: stop the timer when all is acknowledged, else restart it.
  if (snd_una_ == snd_max_) {
    retransmit_deadline_ = kNever;
  } else {
    arm_retransmit_timer(now);
  }
  if (send_buffer_.free_space() > space_before) events_ |= tcp_event::writable;
}

void TcpConnection::on_duplicate_ack(const SegmentIn& seg, Instant now) {
  const std::uint32_t old_window = snd_wnd_;
  const std::uint32_t sacked = apply_sack(seg);
  // RFC 5681 §2: a duplicate carries no data, no SYN/FIN, the same ACK and window, while
  // data is outstanding. With SACK, newly SACKed data also counts (RFC 6675 §5).
  const bool duplicate = seg.payload.empty() && !seg.has(TcpFlags::syn | TcpFlags::fin) &&
                         snd_una_ != snd_max_ &&
                         (std::uint32_t{seg.window} << snd_wscale_) == old_window;
  update_send_window(seg);
  if (!duplicate && sacked == 0) return;
  ++dupacks_;
  ctx_.counters.add(Counter::tcp_rx_dup_acks);
  if (in_recovery_) {
    send_recovery_segments(now);
    return;
  }
  if (after_timeout_) return;  // RFC 6675 §5.1: no recovery before RecoveryPoint is reached
  if (dupacks_ >= kDupThresh || (sack_enabled_ && scoreboard_.is_lost(snd_una_, smss_))) {
    enter_recovery(now);
  }
  // Otherwise limited transmit (RFC 3042) lets output() send new data beyond cwnd.
}

void TcpConnection::enter_recovery(Instant now) {
  ctx_.counters.add(Counter::tcp_fast_retransmits);
  in_recovery_ = true;
  recovery_point_ = snd_max_;  // RFC 6675 §5 step 4.1 / RFC 6582 "recover"
  congestion_.on_congestion_event(now, bytes_in_flight());
  rtt_probe_.reset();
  // RFC 6675 §5 step 4.3: retransmit the first unacknowledged segment now.
  retransmit(snd_una_, smss_, now);
  high_rxt_ = seq_min(snd_una_ + smss_, snd_max_);
  send_recovery_segments(now);
}

// RFC 6675 §5 step (C): while cwnd - pipe >= 1 SMSS, send NextSeg().
void TcpConnection::send_recovery_segments(Instant now) {
  for (int guard = 0; guard < 1024; ++guard) {
    if (!ctx_.output.has_room()) {
      output_blocked_ = true;
      return;
    }
    const std::uint32_t in_pipe = pipe();
    const std::uint32_t cwnd = congestion_.cwnd();
    if (in_pipe + smss_ > cwnd) return;
    const SeqNum from = seq_max(high_rxt_, snd_una_);
    if (sack_enabled_) {
      if (const auto lost = scoreboard_.next_lost_range(from, smss_)) {
        retransmit(lost->begin, static_cast<std::uint32_t>(lost->end - lost->begin), now);
        high_rxt_ = lost->end;
        continue;
      }
    }
    if (!send_new_data(now, cwnd - in_pipe)) return;
  }
}

}  // namespace tapstack
