#include "stack/tcp/connection.hpp"

#include <algorithm>
#include <utility>

namespace tapstack {
namespace {

using wire::TcpFlags;

// RFC 7323 §2.3: the largest shift that keeps `buffer` representable in 16 bits.
std::uint8_t window_scale_for(std::size_t buffer) {
  std::uint8_t shift = 0;
  while (shift < 14 && (buffer >> shift) > 0xffff) ++shift;
  return shift;
}

}  // namespace

std::string_view to_string(TcpState state) {
  static constexpr std::string_view kNames[] = {
      "CLOSED",     "LISTEN",     "SYN-SENT", "SYN-RECEIVED", "ESTABLISHED", "FIN-WAIT-1",
      "FIN-WAIT-2", "CLOSE-WAIT", "CLOSING",  "LAST-ACK",     "TIME-WAIT"};
  return kNames[static_cast<std::size_t>(state)];
}

TcpConnection::TcpConnection(Context context, const FourTuple& tuple,
                             const TcpSocketOptions& options, std::uint16_t route_mtu,
                             std::uint32_t ts_offset, Instant now)
    : ctx_(context),
      tuple_(tuple),
      options_(options),
      our_mss_(static_cast<std::uint16_t>(route_mtu - 40)),
      send_buffer_(options.send_buffer != 0 ? options.send_buffer : context.settings.send_buffer),
      receive_buffer_(options.receive_buffer != 0 ? options.receive_buffer
                                                  : context.settings.receive_buffer),
      autotune_(options.receive_buffer == 0),
      autotune_since_(now),
      rtt_(context.settings.rto),
      congestion_(options.congestion_set ? options.congestion : context.settings.congestion, 536,
                  now),
      last_received_(now),
      ts_epoch_(now),
      ts_offset_(ts_offset) {
  rcv_wscale_ = context.settings.window_scaling
                    ? window_scale_for(autotune_ ? context.settings.receive_buffer_max
                                                 : receive_buffer_.capacity())
                    : 0;
}

void TcpConnection::open_active(SeqNum iss, Instant now) {
  iss_ = iss;
  snd_una_ = snd_nxt_ = snd_max_ = iss;
  send_buffer_.start(iss + 1);
  enter(TcpState::syn_sent, now);
  if (!ctx_.output.has_room()) {
    output_blocked_ = true;  // resume_output() sends the SYN (a burst of connect() calls)
    return;
  }
  send_syn(now);
}

void TcpConnection::resume_output(Instant now) {
  output_blocked_ = false;
  if (state_ == TcpState::syn_sent && snd_max_ == iss_) {
    send_syn(now);  // open_active() found no room
    return;
  }
  output(now);
}

void TcpConnection::open_passive(const SegmentIn& syn, SeqNum iss, Instant now) {
  irs_ = syn.seq;
  receive_buffer_.start(syn.seq + 1);
  rcv_adv_ = syn.seq + 1;
  negotiate(syn);
  // RFC 7323 §4.3: TS.Recent starts from the SYN (update_ts_recent()'s Last.ACK.sent rule
  // cannot apply yet), so the SYN-ACK echoes the SYN's TSval.
  if (syn.options.timestamps) ts_recent_ = syn.options.timestamps->value;
  ts_recent_time_ = now;
  snd_wnd_ = syn.window;  // RFC 7323 §2.2: the window of a SYN is never scaled
  max_snd_wnd_ = snd_wnd_;
  snd_wl1_ = syn.seq;
  iss_ = iss;
  snd_una_ = snd_nxt_ = snd_max_ = iss;
  send_buffer_.start(iss + 1);
  enter(TcpState::syn_received, now);
  send_syn(now);
}

void TcpConnection::open_from_cookie(const SegmentIn& ack, SeqNum iss,
                                     const SynCookieOptions& cookie, Instant now) {
  irs_ = ack.seq - 1;
  receive_buffer_.start(ack.seq);
  rcv_adv_ = ack.seq;
  ts_enabled_ = ctx_.settings.timestamps && ack.options.timestamps.has_value();
  sack_enabled_ = ctx_.settings.sack && cookie.sack_permitted;
  ws_enabled_ = ctx_.settings.window_scaling && cookie.window_scale.has_value();
  if (!ws_enabled_) rcv_wscale_ = 0;
  snd_wscale_ = cookie.window_scale.value_or(0);
  smss_ = std::min<std::uint32_t>(cookie.mss, our_mss_) - (ts_enabled_ ? 12U : 0U);
  congestion_.set_smss(smss_);
  // RFC 7323 §4.3: the handshake's ACK starts TS.Recent, and Last.ACK.sent is what the
  // cookie SYN-ACK acknowledged, so the next in-order segment updates TS.Recent.
  if (ack.options.timestamps) ts_recent_ = ack.options.timestamps->value;
  ts_recent_time_ = now;
  last_ack_sent_ = ack.seq;
  iss_ = iss;
  snd_una_ = snd_nxt_ = snd_max_ = iss + 1;
  send_buffer_.start(iss + 1);
  snd_wnd_ = std::uint32_t{ack.window} << snd_wscale_;
  max_snd_wnd_ = snd_wnd_;
  snd_wl1_ = ack.seq;
  snd_wl2_ = ack.ack;
  enter(TcpState::established, now);
  events_ |= tcp_event::connected | tcp_event::writable;
  if (!ack.payload.empty() || ack.has(TcpFlags::fin)) on_segment(ack, now);
}

// RFC 9293 §3.7.1 (MSS), RFC 7323 §2.2 (window scale), §3.2 (timestamps), RFC 2018 (SACK):
// an option is in use only when both sides offered it in their SYNs.
void TcpConnection::negotiate(const SegmentIn& syn) {
  const auto& o = syn.options;
  ts_enabled_ = ctx_.settings.timestamps && o.timestamps.has_value();
  sack_enabled_ = ctx_.settings.sack && o.sack_permitted;
  ws_enabled_ = ctx_.settings.window_scaling && o.window_scale.has_value();
  if (ws_enabled_) {
    // RFC 7323 §2.3: a shift above 14 is used as 14.
    snd_wscale_ = std::min<std::uint8_t>(*o.window_scale, 14);
  } else {
    snd_wscale_ = 0;
    rcv_wscale_ = 0;
  }
  const std::uint32_t peer_mss = o.mss.value_or(536);  // RFC 9293 §3.7.1: default 536
  smss_ = std::max<std::uint32_t>(std::min<std::uint32_t>(peer_mss, our_mss_), 64) -
          (ts_enabled_ ? 12U : 0U);
  congestion_.set_smss(smss_);
}

void TcpConnection::enter(TcpState state, Instant now) {
  state_ = state;
  if (state == TcpState::established) start_keepalive();
  // Linux tcp_fin_timeout: an orphaned connection does not wait in FIN-WAIT-2 forever for a
  // peer that never closes; the TIME-WAIT deadline doubles as its timer.
  if (state == TcpState::fin_wait_2 && app_closed_) {
    time_wait_deadline_ = now + ctx_.settings.fin_timeout;
  }
  if (state == TcpState::time_wait) {
    retransmit_deadline_ = persist_deadline_ = keepalive_deadline_ = kNever;
    time_wait_deadline_ = now + ctx_.settings.time_wait;
  }
  if (state == TcpState::closed) {
    retransmit_deadline_ = delayed_ack_deadline_ = persist_deadline_ = kNever;
    keepalive_deadline_ = time_wait_deadline_ = kNever;
    events_ |= tcp_event::closed | tcp_event::readable | tcp_event::writable;
  }
}

void TcpConnection::fail(SocketError error, Instant now) {
  error_ = error;
  events_ |= tcp_event::error;
  enter(TcpState::closed, now);
}

std::optional<SocketError> TcpConnection::take_error() {
  return std::exchange(error_, std::nullopt);
}

std::uint8_t TcpConnection::take_events() {
  return std::exchange(events_, 0);
}

bool TcpConnection::readable() const {
  return receive_buffer_.readable() > 0 || fin_received_ || error_.has_value() ||
         state_ == TcpState::closed;
}

bool TcpConnection::writable() const {
  const bool open = state_ == TcpState::established || state_ == TcpState::close_wait;
  return (open && !fin_queued_ && send_buffer_.free_space() > 0) || error_.has_value() ||
         state_ == TcpState::closed;
}

Result<std::size_t, SocketError> TcpConnection::send(wire::Bytes data, Instant now) {
  if (error_) return unexpected(*take_error());
  switch (state_) {
    case TcpState::syn_sent:
    case TcpState::syn_received:
      return unexpected(SocketError::would_block);
    case TcpState::established:
    case TcpState::close_wait:
      break;
    default:
      return unexpected(state_ == TcpState::closed ? SocketError::not_connected
                                                   : SocketError::broken_pipe);
  }
  if (fin_queued_) return unexpected(SocketError::broken_pipe);
  const std::size_t taken = send_buffer_.append(data);
  if (taken == 0 && !data.empty()) return unexpected(SocketError::would_block);
  output(now);
  return taken;
}

Result<std::size_t, SocketError> TcpConnection::receive(wire::MutableBytes out, bool peek,
                                                        Instant now) {
  const auto waiting = readable_bytes();
  if (!waiting) return unexpected(waiting.error());
  const std::size_t n = receive_buffer_.peek(out);
  if (!peek) consume(n, now);
  return n;
}

Result<std::array<wire::Bytes, 2>, SocketError> TcpConnection::readable_bytes() {
  if (receive_buffer_.readable() == 0) {
    if (error_) return unexpected(*take_error());
    if (fin_received_ || state_ == TcpState::closed) return std::array<wire::Bytes, 2>{};
    if (state_ == TcpState::syn_sent || state_ == TcpState::syn_received ||
        state_ == TcpState::established || state_ == TcpState::fin_wait_1 ||
        state_ == TcpState::fin_wait_2) {
      return unexpected(SocketError::would_block);
    }
    return unexpected(SocketError::not_connected);
  }
  return receive_buffer_.readable_bytes();
}

void TcpConnection::consume(std::size_t n, Instant now) {
  const std::uint32_t window_before = receive_window();
  receive_buffer_.consume(n);
  autotune_receive_buffer(n, now);
  // RFC 9293 §3.8.6.2.2: tell the peer when reading reopened the window by a useful amount
  // (at least one MSS or half the buffer), avoiding silly window updates.
  const std::uint32_t window_after = receive_window();
  const std::uint32_t threshold =
      std::min<std::uint32_t>(our_mss_, static_cast<std::uint32_t>(receive_buffer_.capacity() / 2));
  if (window_before < threshold && window_after >= threshold) schedule_ack(true, now);
  output(now);
}

// Dynamic right-sizing (Linux tcp_rcv_space_adjust): once per RTT, size the buffer from what the
// application read in that RTT, so the window keeps up with the bandwidth-delay product, up to
// receive_buffer_max. Linux times this by the receiver's RTT, measured from millisecond
// timestamps and so never under 1 ms (tcp_rtt_tsopt_us). Our srtt on a LAN is ~100 us: an
// interval that short sees a single read, and the buffer would stay the size of one read.
// Linux's extra growth for a sender in slow start is left out: a shim program's channel takes a
// burst once even when the program has stopped reading, and that burst alone would then grow
// the buffer to its limit.
void TcpConnection::autotune_receive_buffer(std::size_t copied, Instant now) {
  if (!autotune_) return;
  autotune_copied_ += copied;
  const Duration rtt = rtt_.srtt().value_or(std::chrono::milliseconds(100));
  if (now - autotune_since_ < std::max<Duration>(rtt, std::chrono::milliseconds(1))) return;
  // Twice the bytes per RTT to ride out a loss, and a cushion of 16 segments (Linux rcvwin).
  const std::size_t wanted =
      std::min(ctx_.settings.receive_buffer_max, 2 * autotune_copied_ + 16 * std::size_t{our_mss_});
  if (wanted > receive_buffer_.capacity()) receive_buffer_.set_capacity(wanted);
  autotune_copied_ = 0;
  autotune_since_ = now;
}

void TcpConnection::shutdown_send(Instant now) {
  if (fin_queued_) return;
  switch (state_) {
    case TcpState::syn_sent:
      enter(TcpState::closed, now);
      return;
    case TcpState::syn_received:
      fin_queued_ = true;  // FIN-WAIT-1 once established (RFC 9293 §3.10.4)
      return;
    case TcpState::established:
      fin_queued_ = true;
      enter(TcpState::fin_wait_1, now);
      output(now);
      return;
    case TcpState::close_wait:
      fin_queued_ = true;
      enter(TcpState::last_ack, now);
      output(now);
      return;
    default:
      return;
  }
}

void TcpConnection::close(Instant now) {
  // RFC 2525 §2.17 / Linux: closing with unread data resets the connection so the peer
  // learns its data was not consumed.
  if (receive_buffer_.readable() > 0 && state_ != TcpState::closed) {
    ctx_.counters.add(Counter::tcp_tx_reset_on_close);
    abort(now);
    return;
  }
  if (state_ == TcpState::listen || state_ == TcpState::syn_sent) {
    enter(TcpState::closed, now);
    return;
  }
  app_closed_ = true;
  shutdown_send(now);
  if (state_ == TcpState::fin_wait_2) time_wait_deadline_ = now + ctx_.settings.fin_timeout;
}

void TcpConnection::abort(Instant now) {
  // RFC 9293 §3.10.5: ABORT sends a reset in the synchronized states.
  if (state_ == TcpState::syn_received || state_ == TcpState::established ||
      state_ == TcpState::fin_wait_1 || state_ == TcpState::fin_wait_2 ||
      state_ == TcpState::close_wait) {
    send_reset(now);
  }
  enter(TcpState::closed, now);
}

void TcpConnection::reset(SocketError error, Instant now) {
  abort(now);
  error_ = error;
  events_ |= tcp_event::error;
}

void TcpConnection::set_options(const TcpSocketOptions& options, Instant now) {
  const bool uncorked = options_.cork && !options.cork;
  const bool nodelay_on = !options_.no_delay && options.no_delay;
  options_ = options;
  if (options.send_buffer != 0) send_buffer_.set_capacity(options.send_buffer);
  if (options.receive_buffer != 0) {
    autotune_ = false;
    receive_buffer_.set_capacity(options.receive_buffer);
  }
  if (options.congestion_set && options.congestion != congestion_.algorithm()) {
    congestion_ = CongestionController(options.congestion, smss_, now);
  }
  start_keepalive();
  // tcp(7) TCP_CORK: "all queued partial frames are sent when the option is cleared", even
  // with data in flight (Linux pushes with TCP_NAGLE_PUSH).
  push_ = uncorked;
  if (uncorked || nodelay_on) output(now);
  push_ = false;
}

void TcpConnection::start_keepalive() {
  const bool on =
      options_.keepalive && (state_ == TcpState::established || state_ == TcpState::close_wait);
  const Duration idle = options_.keepalive_idle != Duration{} ? options_.keepalive_idle
                                                              : ctx_.settings.keepalive_idle;
  keepalive_deadline_ = on ? last_received_ + idle : kNever;
  keepalive_probes_ = 0;
}

Instant TcpConnection::next_deadline() const {
  return std::min({retransmit_deadline_, delayed_ack_deadline_, persist_deadline_,
                   keepalive_deadline_, time_wait_deadline_});
}

void TcpConnection::on_timer(Instant now) {
  if (now >= time_wait_deadline_) {
    enter(TcpState::closed, now);
    return;
  }
  if (now >= retransmit_deadline_) on_retransmit_timeout(now);
  if (state_ == TcpState::closed) return;
  if (now >= persist_deadline_) on_persist_timeout(now);
  if (now >= keepalive_deadline_) on_keepalive_timeout(now);
  if (state_ == TcpState::closed) return;
  if (now >= delayed_ack_deadline_) {
    ctx_.counters.add(Counter::tcp_delayed_acks);
    send_ack(now);
  }
}

// RFC 6298 §5.4-5.6: retransmit the earliest unacknowledged segment, back off the timer.
void TcpConnection::on_retransmit_timeout(Instant now) {
  retransmit_deadline_ = kNever;
  // The timer was armed one RTO ago, when the oldest data was sent or last acknowledged:
  // TCP_USER_TIMEOUT counts from then (RFC 5482, Linux retrans_stamp), not from this expiry.
  if (first_timeout_ == kNever) first_timeout_ = now - rtt_.rto();
  ++timeouts_;
  const bool handshake = state_ == TcpState::syn_sent || state_ == TcpState::syn_received;
  const std::uint32_t limit = state_ == TcpState::syn_sent ? ctx_.settings.syn_retries
                              : state_ == TcpState::syn_received
                                  ? ctx_.settings.synack_retries
                                  : ctx_.settings.max_retransmissions;
  const bool user_timeout =
      options_.user_timeout != Duration{} && now - first_timeout_ >= options_.user_timeout;
  if (timeouts_ > limit || user_timeout) {
    ctx_.counters.add(Counter::tcp_timeouts_fatal);
    fail(SocketError::timed_out, now);
    return;
  }
  ctx_.counters.add(Counter::tcp_retransmit_timeouts);
  rtt_.backoff();
  rtt_probe_.reset();  // Karn: no sample from a retransmitted segment
  if (handshake) {
    send_syn(now);
    return;
  }
  // RFC 5681 §3.1 eq. 4 and the loss window; RFC 6675 §5.1: forget the SACK scoreboard.
  congestion_.on_rto(now, bytes_in_flight());
  scoreboard_.reset();
  in_recovery_ = false;
  dupacks_ = 0;
  // RFC 6675 §5.1 / RFC 6582 §3.2 step 1: RecoveryPoint = HighData, and no new recovery
  // phase until it is acknowledged: the duplicate ACKs that follow are for data the timeout
  // already resends, and must neither retransmit it again nor cut cwnd a second time.
  recovery_point_ = snd_max_;
  after_timeout_ = true;
  snd_nxt_ = snd_una_;  // go back: resend from the first unacknowledged byte
  high_rxt_ = snd_una_;
  if (fin_sent_ && snd_una_ == fin_seq_ + 1) return;
  output(now);
  if (retransmit_deadline_ == kNever) arm_retransmit_timer(now);
}

// RFC 9293 §3.8.6.1 / RFC 1122 §4.2.2.17: probe a zero window with backoff; the connection
// stays open as long as the peer answers.
void TcpConnection::on_persist_timeout(Instant now) {
  persist_deadline_ = kNever;
  if (snd_wnd_ != 0 || send_buffer_.end_seq() == snd_nxt_) return;
  ctx_.counters.add(Counter::tcp_window_probes);
  send_segment(snd_una_ - 1, 0, TcpFlags::ack, now);
  persist_backoff_ = std::min<std::uint32_t>(persist_backoff_ + 1, 16);
  const Duration interval = std::min(
      rtt_.rto() * (1 << std::min<std::uint32_t>(persist_backoff_, 10)), ctx_.settings.rto.max);
  persist_deadline_ = now + interval;
}

// RFC 1122 §4.2.3.6: after idle time, probe with an old sequence number; give up after
// `count` unanswered probes.
void TcpConnection::on_keepalive_timeout(Instant now) {
  if (snd_max_ != snd_una_ || send_buffer_.end_seq() != snd_nxt_) {
    // Data is outstanding or waiting: the retransmission or persist timer watches the peer
    // (RFC 1122 §4.2.3.6 keepalives are for idle connections; Linux reschedules likewise).
    const Duration idle = options_.keepalive_idle != Duration{} ? options_.keepalive_idle
                                                                : ctx_.settings.keepalive_idle;
    keepalive_probes_ = 0;
    keepalive_deadline_ = now + idle;
    return;
  }
  const std::uint32_t count =
      options_.keepalive_count != 0 ? options_.keepalive_count : ctx_.settings.keepalive_count;
  if (keepalive_probes_ >= count) {
    ctx_.counters.add(Counter::tcp_keepalive_timeouts);
    send_reset(now);
    fail(SocketError::timed_out, now);
    return;
  }
  ++keepalive_probes_;
  ctx_.counters.add(Counter::tcp_keepalive_probes);
  send_segment(snd_una_ - 1, 0, TcpFlags::ack, now);
  const Duration interval = options_.keepalive_interval != Duration{}
                                ? options_.keepalive_interval
                                : ctx_.settings.keepalive_interval;
  keepalive_deadline_ = now + interval;
}

bool TcpConnection::may_reuse_for(const SegmentIn& syn) const {
  if (state_ != TcpState::time_wait) return false;
  // RFC 6191 §2: with timestamps, a SYN whose TSval is newer; otherwise (RFC 1122 §4.2.2.13)
  // a SYN whose sequence number is above the old connection's.
  // An equal TSval falls back to the sequence number (RFC 6191 §2, second rule).
  const bool seq_newer = syn.seq > receive_buffer_.rcv_nxt() + 1;
  if (ts_enabled_ && syn.options.timestamps) {
    const auto newer = static_cast<std::int32_t>(syn.options.timestamps->value - ts_recent_);
    return newer > 0 || (newer == 0 && seq_newer);
  }
  return seq_newer;
}

TcpConnectionInfo TcpConnection::info() const {
  return TcpConnectionInfo{state_,
                           congestion_.cwnd(),
                           congestion_.ssthresh(),
                           smss_,
                           rtt_.srtt(),
                           rtt_.rttvar(),
                           rtt_.rto(),
                           total_retransmits_,
                           snd_wnd_,
                           receive_window(),
                           send_buffer_.size(),
                           receive_buffer_.readable(),
                           sack_enabled_,
                           ts_enabled_,
                           snd_wscale_,
                           rcv_wscale_,
                           congestion_.algorithm()};
}

}  // namespace tapstack
