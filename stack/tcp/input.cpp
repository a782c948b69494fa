// Segment arrival for an existing connection: RFC 9293 §3.10.7.3 (SYN-SENT) and §3.10.7.4
// (the other states), step by step, with PAWS (RFC 7323 §5) and the RFC 5961 defences.
#include <algorithm>

#include "stack/tcp/connection.hpp"

namespace tapstack {
namespace {

using wire::TcpFlags;

// RFC 5961 §7 / Linux tcp_invalid_ratelimit: at most one challenge ACK per 500 ms per socket.
constexpr Duration kChallengeAckInterval = std::chrono::milliseconds(500);

}  // namespace

void TcpConnection::on_segment(const SegmentIn& seg, Instant now) {
  if (state_ == TcpState::closed || state_ == TcpState::listen) return;
  if (state_ == TcpState::syn_sent) {
    on_segment_syn_sent(seg, now);
    return;
  }
  last_received_ = now;
  if (keepalive_deadline_ != kNever) start_keepalive();

  // A retransmitted SYN (our SYN-ACK was lost) lies left of RCV.NXT and would fail the
  // acceptability test; answer it with the SYN-ACK again, as Linux does (tcp_check_req).
  if (state_ == TcpState::syn_received && seg.has(TcpFlags::syn) && !seg.has(TcpFlags::ack) &&
      !seg.has(TcpFlags::rst) && seg.seq == irs_) {
    send_syn(now);
    return;
  }
  // First: sequence number check, after PAWS (RFC 7323 §5.3 R1-R3).
  if (paws_rejects(seg, now) || !acceptable(seg)) {
    ctx_.counters.add(paws_rejects(seg, now) ? Counter::tcp_drop_paws
                                             : Counter::tcp_drop_out_of_window);
    if (!seg.has(TcpFlags::rst)) answer_invalid(seg, now);
    report_old_duplicate(seg);
    // RFC 9293 §3.10.7.4 (TIME-WAIT): a retransmitted FIN lies left of RCV.NXT, so it lands
    // here; acknowledge it (above) and restart the 2 MSL timeout.
    if (state_ == TcpState::time_wait && seg.has(TcpFlags::fin) && !seg.has(TcpFlags::rst)) {
      time_wait_deadline_ = now + ctx_.settings.time_wait;
    }
    output(now);
    return;
  }
  // Second: RST (RFC 9293 §3.10.7.4 step 2, RFC 5961 §3.2).
  if (seg.has(TcpFlags::rst)) {
    on_reset(seg, now);
    return;
  }
  // Fourth: a SYN in a synchronized state gets a challenge ACK (RFC 5961 §4.2).
  if (seg.has(TcpFlags::syn)) {
    ctx_.counters.add(Counter::tcp_challenge_syn);
    send_challenge_ack(now);
    return;
  }
  // Fifth: the ACK field; without ACK the segment is dropped.
  if (!seg.has(TcpFlags::ack)) {
    ctx_.counters.add(Counter::tcp_drop_no_ack);
    return;
  }
  update_ts_recent(seg, now);
  if (!on_ack_field(seg, now)) return;
  // Seventh: segment text, then eighth: FIN.
  on_text(seg, now);
  if (state_ != TcpState::closed) output(now);
}

// RFC 9293 §3.10.7.3.
void TcpConnection::on_segment_syn_sent(const SegmentIn& seg, Instant now) {
  const bool has_ack = seg.has(TcpFlags::ack);
  if (has_ack && (seg.ack <= iss_ || seg.ack > snd_max_)) {
    if (!seg.has(TcpFlags::rst)) {
      send_segment(seg.ack, 0, TcpFlags::rst, now);  // <SEQ=SEG.ACK><CTL=RST>
    }
    ctx_.counters.add(Counter::tcp_drop_bad_ack);
    return;
  }
  if (seg.has(TcpFlags::rst)) {
    // RFC 5961 §3.2 leaves SYN-SENT alone: an RST is valid only with an acceptable ACK.
    if (has_ack) {
      ctx_.counters.add(Counter::tcp_rx_resets);
      fail(SocketError::connection_refused, now);
    }
    return;
  }
  if (!seg.has(TcpFlags::syn)) return;
  // Keepalive idle time counts from the peer's SYN, not from the connect() call.
  last_received_ = now;
  irs_ = seg.seq;
  receive_buffer_.start(seg.seq + 1);
  rcv_adv_ = seg.seq + 1;
  negotiate(seg);
  update_ts_recent(seg, now);
  if (!has_ack) {
    // Simultaneous open (RFC 9293 §3.5, figure 7): answer with SYN-ACK.
    snd_wnd_ = seg.window;
    snd_wl1_ = seg.seq;
    enter(TcpState::syn_received, now);
    snd_nxt_ = iss_;
    send_syn(now);
    return;
  }
  snd_una_ = seg.ack;
  send_buffer_.acknowledge(seg.ack);
  if (ts_enabled_ && seg.options.timestamps && seg.options.timestamps->echo_reply != 0) {
    if (const auto rtt = timestamp_rtt(seg, now)) rtt_.sample(*rtt);
  } else if (timeouts_ == 0 && rtt_probe_) {
    rtt_.sample(now - rtt_probe_->second);
  }
  rtt_probe_.reset();
  snd_wnd_ = seg.window;  // not scaled in a SYN-ACK (RFC 7323 §2.2)
  max_snd_wnd_ = snd_wnd_;
  snd_wl1_ = seg.seq;
  snd_wl2_ = seg.ack;
  retransmit_deadline_ = kNever;
  timeouts_ = 0;
  first_timeout_ = kNever;
  enter(TcpState::established, now);
  events_ |= tcp_event::connected | tcp_event::writable;
  schedule_ack(true, now);
  if (!seg.payload.empty() || seg.has(TcpFlags::fin)) on_text(seg, now);
  output(now);
}

// RFC 2883 §4 example 1: data entirely below RCV.NXT (our ACK was lost, or the network
// duplicated it) fails the acceptability test, yet the ACK that answers it carries a D-SACK so
// the sender learns the retransmission was unnecessary (as Linux's tcp_send_dupack).
void TcpConnection::report_old_duplicate(const SegmentIn& seg) {
  if (!sack_enabled_ || seg.payload.empty() || seg.has(TcpFlags::rst)) return;
  const SeqNum end = seg.seq + static_cast<std::uint32_t>(seg.payload.size());
  if (end <= receive_buffer_.rcv_nxt()) receive_buffer_.write(seg.seq, seg.payload);
}

// RFC 7323 §5.5: after 24 days without an update TS.Recent is invalid: the peer's clock may
// have moved 2^31 ticks on, making every honest TSval look older (Linux TCP_PAWS_24DAYS).
bool TcpConnection::ts_recent_outdated(Instant now) const {
  return now - ts_recent_time_ > std::chrono::hours(24 * 24);
}

// RFC 7323 §5.3: drop a non-RST segment whose timestamp is older than TS.Recent.
bool TcpConnection::paws_rejects(const SegmentIn& seg, Instant now) const {
  if (!ts_enabled_ || seg.has(TcpFlags::rst) || !seg.options.timestamps) return false;
  if (ts_recent_outdated(now)) return false;
  return static_cast<std::int32_t>(seg.options.timestamps->value - ts_recent_) < 0;
}

// RFC 9293 §3.10.7.4 first check: the four cases of segment length and receive window.
bool TcpConnection::acceptable(const SegmentIn& seg) const {
  const SeqNum rcv_nxt = receive_buffer_.rcv_nxt() + (fin_received_ ? 1U : 0U);
  const std::uint32_t window = receive_window();
  const std::uint32_t len = seg.length();
  if (len == 0) {
    return window == 0 ? seg.seq == rcv_nxt : seq_in_range(seg.seq, rcv_nxt, rcv_nxt + window);
  }
  // RFC 9293 §3.10.7.4: with RCV.WND zero "special allowance should be made to accept valid
  // ACKs, URGs, and RSTs": a segment at RCV.NXT (a window probe) is processed for its control
  // fields; the receive buffer then drops its text (outside the window) and we ACK. Without
  // this, a peer's ACKs riding on its probes are lost while our window stays closed.
  if (window == 0) return seg.seq == rcv_nxt;
  const SeqNum last = seg.seq + (len - 1);
  return seq_in_range(seg.seq, rcv_nxt, rcv_nxt + window) ||
         seq_in_range(last, rcv_nxt, rcv_nxt + window) ||
         // Overlapping both edges: a retransmission carrying new data.
         (seg.seq < rcv_nxt && last >= rcv_nxt + window);
}

// RFC 5961 §3.2: reset only on an exact sequence match; in-window otherwise earns a
// challenge ACK. Returns true when the connection was reset.
bool TcpConnection::on_reset(const SegmentIn& seg, Instant now) {
  const SeqNum rcv_nxt = receive_buffer_.rcv_nxt() + (fin_received_ ? 1U : 0U);
  if (seg.seq != rcv_nxt) {
    ctx_.counters.add(Counter::tcp_challenge_rst);
    send_challenge_ack(now);
    return false;
  }
  ctx_.counters.add(Counter::tcp_rx_resets);
  switch (state_) {
    case TcpState::syn_received:
      // From a passive open the listener simply forgets it; from an active open the
      // connection was refused (RFC 9293 §3.10.7.4).
      fail(SocketError::connection_refused, now);
      return true;
    case TcpState::closing:
    case TcpState::last_ack:
    case TcpState::time_wait:
      enter(TcpState::closed, now);
      return true;
    default:
      fail(SocketError::connection_reset, now);
      return true;
  }
}

void TcpConnection::send_challenge_ack(Instant now) {
  if (last_challenge_ack_ != Instant::min() && now - last_challenge_ack_ < kChallengeAckInterval) {
    ctx_.counters.add(Counter::tcp_challenge_ack_limited);
    return;
  }
  last_challenge_ack_ = now;
  ctx_.counters.add(Counter::tcp_challenge_acks);
  send_ack(now);
}

// The ACK that answers an unacceptable segment or an ACK of unsent data (RFC 9293 §3.10.7.4,
// RFC 5961 §5.2). A segment without data or FIN, or with SYN, cannot be a retransmission that
// needs the ACK at once, so it is answered at most once per kChallengeAckInterval: two ends
// that disagree cannot ping-pong ACKs forever, and a storm of forged segments is not reflected
// one for one (as Linux's tcp_oow_rate_limited with tcp_invalid_ratelimit, and RFC 5961 §7).
void TcpConnection::answer_invalid(const SegmentIn& seg, Instant now) {
  if ((seg.payload.empty() && !seg.has(TcpFlags::fin)) || seg.has(TcpFlags::syn)) {
    if (last_invalid_ack_ != Instant::min() && now - last_invalid_ack_ < kChallengeAckInterval) {
      ctx_.counters.add(Counter::tcp_invalid_ack_limited);
      return;
    }
    last_invalid_ack_ = now;
  }
  schedule_ack(true, now);
}

// RFC 7323 §4.3: remember the newest timestamp of a segment that covers Last.ACK.sent
// (§5.5: any such timestamp once TS.Recent is outdated).
void TcpConnection::update_ts_recent(const SegmentIn& seg, Instant now) {
  if (!seg.options.timestamps) return;
  const bool newer = static_cast<std::int32_t>(seg.options.timestamps->value - ts_recent_) >= 0;
  if (state_ == TcpState::syn_sent || state_ == TcpState::listen ||
      (seg.seq <= last_ack_sent_ && (newer || ts_recent_outdated(now)))) {
    ts_recent_ = seg.options.timestamps->value;
    ts_recent_time_ = now;
  }
}

// RFC 9293 §3.10.7.4 fifth check. Returns false when processing stops here.
bool TcpConnection::on_ack_field(const SegmentIn& seg, Instant now) {
  if (state_ == TcpState::syn_received) {
    if (!(snd_una_ < seg.ack && seg.ack <= snd_max_)) {
      send_segment(seg.ack, 0, TcpFlags::rst, now);
      ctx_.counters.add(Counter::tcp_drop_bad_ack);
      return false;
    }
    snd_wnd_ = std::uint32_t{seg.window} << snd_wscale_;
    max_snd_wnd_ = std::max(max_snd_wnd_, snd_wnd_);
    snd_wl1_ = seg.seq;
    snd_wl2_ = seg.ack;
    enter(fin_queued_ ? TcpState::fin_wait_1 : TcpState::established, now);
    events_ |= tcp_event::connected | tcp_event::writable;
  }
  // RFC 5961 §5.2: acceptable ACKs lie in [SND.UNA - MAX.SND.WND, SND.NXT].
  if (seg.ack > snd_max_) {
    ctx_.counters.add(Counter::tcp_drop_ack_unsent);
    answer_invalid(seg, now);
    output(now);
    return false;
  }
  if (seg.ack < snd_una_ - max_snd_wnd_) {
    ctx_.counters.add(Counter::tcp_drop_old_ack);
    send_challenge_ack(now);
    return false;
  }
  if (seg.ack > snd_una_) {
    on_new_ack(seg, now);
  } else {
    on_duplicate_ack(seg, now);
  }
  if (state_ == TcpState::closed) return false;
  const bool fin_acked = fin_sent_ && snd_una_ == fin_seq_ + 1;
  switch (state_) {
    case TcpState::fin_wait_1:
      if (fin_acked) enter(TcpState::fin_wait_2, now);
      break;
    case TcpState::closing:
      if (fin_acked) enter(TcpState::time_wait, now);
      return false;
    case TcpState::last_ack:
      if (fin_acked) {
        enter(TcpState::closed, now);
        return false;
      }
      break;
    case TcpState::time_wait:
      // A retransmitted FIN: acknowledge it and restart the 2 MSL wait.
      if (seg.has(TcpFlags::fin)) {
        time_wait_deadline_ = now + ctx_.settings.time_wait;
        send_ack(now);
      }
      return false;
    default:
      break;
  }
  return true;
}

// RFC 9293 §3.10.7.4 seventh and eighth checks.
void TcpConnection::on_text(const SegmentIn& seg, Instant now) {
  const bool can_receive = state_ == TcpState::established || state_ == TcpState::fin_wait_1 ||
                           state_ == TcpState::fin_wait_2;
  if (app_closed_ && !seg.payload.empty() &&
      seg.seq + static_cast<std::uint32_t>(seg.payload.size()) > receive_buffer_.rcv_nxt()) {
    // New data after close(): nobody will read it. Reset, as Linux does (TCPAbortOnData),
    // so the peer learns at once (RFC 9293 §3.10.7.4 leaves this to the implementation).
    send_reset(now);
    enter(TcpState::closed, now);
    return;
  }
  if (!seg.payload.empty() && can_receive && !fin_received_) {
    const bool had_gap = receive_buffer_.has_out_of_order();
    const auto result = receive_buffer_.write(seg.seq, seg.payload);
    using Accept = ReceiveBuffer::Accept;
    switch (result.kind) {
      case Accept::in_order:
        ctx_.counters.add(Counter::tcp_rx_data_segments);
        if (result.new_bytes > 0) events_ |= tcp_event::readable;
        // RFC 5681 §4.2: ACK at once when the segment fills (part of) a gap. A segment the
        // host coalesced (GRO, with offloads) counts as the full segments it holds: more than
        // one is the "second full-sized segment" of RFC 9293 §3.8.6.3.
        schedule_ack(had_gap || seg.payload.size() > our_mss_, now);
        break;
      case Accept::out_of_order:
        ctx_.counters.add(Counter::tcp_rx_out_of_order);
        schedule_ack(true, now);
        break;
      case Accept::duplicate:
        ctx_.counters.add(Counter::tcp_rx_duplicate_data);
        schedule_ack(true, now);
        break;
      case Accept::outside_window:
        ctx_.counters.add(Counter::tcp_drop_out_of_window);
        schedule_ack(true, now);
        break;
      case Accept::too_fragmented:
        ctx_.counters.add(Counter::tcp_drop_ooo_ranges);
        schedule_ack(true, now);
        break;
    }
  }
  if (seg.has(TcpFlags::fin) && !fin_received_) {
    pending_fin_ = seg.seq + static_cast<std::uint32_t>(seg.payload.size());
  }
  if (pending_fin_ && *pending_fin_ == receive_buffer_.rcv_nxt()) on_fin(now);
}

void TcpConnection::on_fin(Instant now) {
  pending_fin_.reset();
  fin_received_ = true;
  events_ |= tcp_event::readable;
  schedule_ack(true, now);
  switch (state_) {
    case TcpState::syn_received:
    case TcpState::established:
      enter(TcpState::close_wait, now);
      break;
    case TcpState::fin_wait_1:
      enter(fin_sent_ && snd_una_ == fin_seq_ + 1 ? TcpState::time_wait : TcpState::closing, now);
      break;
    case TcpState::fin_wait_2:
      enter(TcpState::time_wait, now);
      break;
    default:
      break;
  }
}

}  // namespace tapstack
