// What to send now and how: the sender's window and Nagle/SWS rules (RFC 9293 §3.7.4,
// §3.8.6.2.1), the receiver's window advertisement (§3.8.6.2.2), delayed ACKs (§3.8.6.3),
// the persist timer, and segment construction with timestamps and SACK blocks.
#include <algorithm>
#include <array>

#include "stack/tcp/connection.hpp"

namespace tapstack {
namespace {

using wire::TcpFlags;

constexpr std::uint32_t kMaxAckBatch = 64 * 1024;  // Linux GRO: at most 64 KB per ACK

bool may_send_data(TcpState s) {
  return s == TcpState::established || s == TcpState::close_wait || s == TcpState::fin_wait_1 ||
         s == TcpState::closing || s == TcpState::last_ack;
}

}  // namespace

std::uint32_t TcpConnection::ts_value(Instant now) const {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch());
  return static_cast<std::uint32_t>(ms.count()) + ts_offset_;
}

std::uint32_t TcpConnection::receive_window() const {
  return static_cast<std::uint32_t>(std::min<std::size_t>(receive_buffer_.window(), 0x3fffffff));
}

void TcpConnection::schedule_ack(bool immediately, Instant now) {
  ack_pending_ = true;
  // RFC 9293 §3.8.6.3: ACK at least every second full segment, and within 500 ms (we use
  // the configured delay, 40 ms by default, like Linux); quick ACKs at the start (Linux).
  if (immediately || quick_acks_ > 0 || ++unacked_segments_ >= 2) {
    ack_now_ = true;
    if (immediately) ack_may_wait_ = false;
    if (quick_acks_ > 0 && !immediately) --quick_acks_;
    return;
  }
  delayed_ack_deadline_ = std::min(delayed_ack_deadline_, now + ctx_.settings.delayed_ack);
}

void TcpConnection::arm_retransmit_timer(Instant now) {
  retransmit_deadline_ = now + rtt_.rto();
  // Linux tcp_clamp_rto_to_user_timeout: a backed-off timer fires no later than the user
  // timeout (RFC 5482), so the connection fails on time rather than up to an RTO late.
  if (options_.user_timeout != Duration{} && first_timeout_ != kNever) {
    retransmit_deadline_ = std::min(retransmit_deadline_, first_timeout_ + options_.user_timeout);
  }
}

void TcpConnection::output(Instant now) {
  if (may_send_data(state_)) {
    if (in_recovery_) {
      send_recovery_segments(now);
    } else {
      // RFC 3042: the first two duplicate ACKs each allow one more segment beyond cwnd.
      const std::uint32_t cwnd = congestion_.cwnd() + std::min(dupacks_, 2U) * smss_;
      for (int guard = 0; guard < 4096; ++guard) {
        if (!ctx_.output.has_room()) {
          output_blocked_ = true;
          break;
        }
        const auto flight = static_cast<std::uint32_t>(snd_nxt_ - snd_una_);
        if (!send_new_data(now, cwnd > flight ? cwnd - flight : 0)) break;
      }
    }
    // RFC 9293 §3.8.6.1: a zero window with data waiting and nothing in flight needs probes.
    const bool waiting = send_buffer_.end_seq() != snd_nxt_;
    if (snd_wnd_ == 0 && waiting && snd_max_ == snd_una_) {
      if (persist_deadline_ == kNever) persist_deadline_ = now + rtt_.rto();
    } else {
      persist_deadline_ = kNever;
    }
  }
  if (ack_now_ && !ack_may_wait()) send_ack(now);
}

// Within a batch of received segments, a routine ACK waits for the batch's end and then covers
// all of it, as Linux's GRO makes one ACK for up to 64 KB of coalesced segments. This stretches
// RFC 5681 §4.2 / RFC 9293 §3.8.6.3 ("SHOULD" ACK every second full-sized segment) exactly as
// far as GRO receivers do. An ACK that must go at once (RFC 5681 §4.2: a gap, a duplicate; a
// window update) does not wait, nor one past 64 KB.
bool TcpConnection::ack_may_wait() const {
  return ack_may_wait_ && ctx_.output.in_receive_batch() &&
         static_cast<std::uint32_t>(receive_buffer_.rcv_nxt() - last_ack_sent_) < kMaxAckBatch;
}

// The most new data one send may carry: one SMSS, or with TSO as many whole SMSS as fit a 64 KB
// IP datagram while a large buffer is free.
std::uint32_t TcpConnection::max_send_size() const {
  if (!segmentation_offload_ || !ctx_.output.has_large_room()) return smss_;
  constexpr std::uint32_t kMaxPayload = 65535 - 20 - 60;  // IPv4 and TCP headers at their largest
  return std::max(smss_, kMaxPayload / smss_ * smss_);
}

// Sends at most one segment of new (or, after a timeout, resent) data, and the FIN when it is
// next. `allowance` is what congestion control lets into the network. Returns whether a
// segment was sent.
bool TcpConnection::send_new_data(Instant now, std::uint32_t allowance) {
  const SeqNum data_end = send_buffer_.end_seq();
  if (snd_nxt_ > data_end) return false;  // everything including our FIN is out
  const auto available = static_cast<std::uint32_t>(data_end - snd_nxt_);
  const SeqNum window_end = snd_una_ + snd_wnd_;
  const std::uint32_t usable =
      window_end > snd_nxt_ ? static_cast<std::uint32_t>(window_end - snd_nxt_) : 0;
  std::uint32_t length = std::min({max_send_size(), available, usable, allowance});
  const auto in_flight = static_cast<std::uint32_t>(snd_nxt_ - snd_una_);
  if (length > smss_) {
    // A segment the device cuts (TSO) ends in a short segment only where a short segment may
    // go anyway: at the end of the data, uncorked, and Nagle off, a push or nothing in flight
    // (as Linux tcp_mss_split_point).
    const bool short_tail_allowed =
        length == available && !options_.cork && (options_.no_delay || push_ || in_flight == 0);
    if (length % smss_ != 0 && !short_tail_allowed) length -= length % smss_;
  }
  const bool fin = fin_queued_ && snd_nxt_ + length == data_end &&
                   (length > 0 || allowance > 0 || snd_max_ == snd_una_);
  if (length == 0 && !fin) return false;
  if (length < smss_ && !fin && in_flight > 0) {
    // Nagle (RFC 9293 §3.7.4) and sender SWS avoidance (§3.8.6.2.1): with data in flight,
    // send a short segment only if it is all we have and Nagle is off, or it fills half the
    // largest window the peer offered. TCP_CORK holds even that.
    const bool all_queued = length == available;
    const bool nagle_allows = all_queued && (options_.no_delay || push_) && !options_.cork;
    const bool half_window = max_snd_wnd_ > 0 && length >= max_snd_wnd_ / 2 && !options_.cork;
    if (!nagle_allows && !half_window) return false;
  }
  if (length < smss_ && !fin && in_flight == 0 && options_.cork && length == available) {
    return false;
  }
  std::uint8_t flags = TcpFlags::ack;
  if (length > 0 && length == available) flags |= TcpFlags::psh;
  if (fin) flags |= TcpFlags::fin;
  const bool resend = snd_nxt_ < snd_max_;
  send_segment(snd_nxt_, length, flags, now);
  if (resend) {
    ++total_retransmits_;
    ctx_.counters.add(Counter::tcp_retransmitted_segments);
  } else if (!ts_enabled_ && !rtt_probe_ && length > 0) {
    rtt_probe_.emplace(snd_nxt_ + length, now);  // Karn: only new data is timed
  }
  snd_nxt_ += length + (fin ? 1U : 0U);
  snd_max_ = seq_max(snd_max_, snd_nxt_);
  if (fin) {
    fin_sent_ = true;
    fin_seq_ = data_end;
  }
  if (retransmit_deadline_ == kNever) arm_retransmit_timer(now);
  return !fin;
}

// Resends [seq, seq + max_length) of already-sent data, with the FIN if it is next.
void TcpConnection::retransmit(SeqNum seq, std::uint32_t max_length, Instant now) {
  const SeqNum data_end = send_buffer_.end_seq();
  if (seq >= snd_max_) return;
  const std::uint32_t length =
      seq < data_end ? std::min(max_length, static_cast<std::uint32_t>(data_end - seq)) : 0;
  std::uint8_t flags = TcpFlags::ack;
  if (fin_sent_ && seq + length == fin_seq_) flags |= TcpFlags::fin;
  if (length == 0 && (flags & TcpFlags::fin) == 0) return;
  ++total_retransmits_;
  ctx_.counters.add(Counter::tcp_retransmitted_segments);
  send_segment(seq, length, flags, now);
  if (retransmit_deadline_ == kNever) arm_retransmit_timer(now);
}

void TcpConnection::send_ack(Instant now) {
  send_segment(snd_nxt_, 0, TcpFlags::ack, now);
}

void TcpConnection::send_reset(Instant now) {
  ctx_.counters.add(Counter::tcp_tx_resets);
  send_segment(snd_max_, 0, TcpFlags::rst | TcpFlags::ack, now);
}

// The SYN of an active open or the SYN-ACK of a passive one, with the options we offer.
void TcpConnection::send_syn(Instant now) {
  const bool active = state_ == TcpState::syn_sent;
  wire::TcpHeader h;
  h.source_port = tuple_.local_port;
  h.destination_port = tuple_.remote_port;
  h.seq = iss_;
  h.flags = active ? TcpFlags::syn : TcpFlags::syn | TcpFlags::ack;
  h.ack = active ? SeqNum{} : receive_buffer_.rcv_nxt();
  // RFC 7323 §2.2: the window in a SYN is never scaled.
  h.window = static_cast<std::uint16_t>(std::min<std::uint32_t>(receive_window(), 0xffff));
  h.options.mss = our_mss_;
  if (active ? ctx_.settings.window_scaling : ws_enabled_) h.options.window_scale = rcv_wscale_;
  h.options.sack_permitted = active ? ctx_.settings.sack : sack_enabled_;
  if (active ? ctx_.settings.timestamps : ts_enabled_) {
    h.options.timestamps = wire::TcpTimestamps{ts_value(now), active ? 0 : ts_recent_};
  }
  ctx_.output.transmit(tuple_, h, {}, smss_);
  ctx_.counters.add(Counter::tcp_tx_segments);
  if (!active) last_ack_sent_ = receive_buffer_.rcv_nxt();
  if (timeouts_ == 0 && !ts_enabled_) rtt_probe_.emplace(iss_ + 1, now);
  snd_nxt_ = iss_ + 1;
  snd_max_ = seq_max(snd_max_, snd_nxt_);
  arm_retransmit_timer(now);
}

// RFC 9293 §3.8.6.2.2: advertise a larger window only in steps of at least
// min(buffer / 2, MSS), and never move the right edge back (§3.8.6).
std::uint16_t TcpConnection::advertised_window() {
  const SeqNum rcv_nxt = receive_buffer_.rcv_nxt() + (fin_received_ ? 1U : 0U);
  SeqNum edge = rcv_nxt + receive_window();
  const auto step =
      static_cast<std::uint32_t>(std::min<std::size_t>(receive_buffer_.capacity() / 2, our_mss_));
  if (edge <= rcv_adv_ || static_cast<std::uint32_t>(edge - rcv_adv_) < step) {
    edge = seq_max(rcv_adv_, rcv_nxt);
  }
  rcv_adv_ = edge;
  const auto window = static_cast<std::uint32_t>(edge - rcv_nxt) >> rcv_wscale_;
  return static_cast<std::uint16_t>(std::min<std::uint32_t>(window, 0xffff));
}

void TcpConnection::send_segment(SeqNum seq, std::uint32_t length, std::uint8_t flags,
                                 Instant now) {
  wire::TcpHeader h;
  h.source_port = tuple_.local_port;
  h.destination_port = tuple_.remote_port;
  h.seq = seq;
  h.flags = flags;
  const bool rst_only = (flags & TcpFlags::rst) != 0 && (flags & TcpFlags::ack) == 0;
  if (!rst_only) {
    h.ack = receive_buffer_.rcv_nxt() + (fin_received_ ? 1U : 0U);
    h.window = advertised_window();
    if (ts_enabled_) h.options.timestamps = wire::TcpTimestamps{ts_value(now), ts_recent_};
    if (sack_enabled_) {
      std::array<SeqRange, 4> blocks{};
      // smss_ leaves room for timestamps only: SACK blocks ride in what a shorter segment
      // leaves free (4 + 8n bytes), so a full-sized segment never exceeds the MTU.
      const std::uint32_t room = smss_ - std::min(length, smss_);
      const std::size_t fit = room >= 12 ? (room - 4) / 8 : 0;
      const std::size_t max_blocks = std::min<std::size_t>(ts_enabled_ ? 3 : 4, fit);
      const std::size_t n = receive_buffer_.sack_blocks(std::span{blocks.data(), max_blocks});
      for (std::size_t i = 0; i < n; ++i) {
        h.options.sack_blocks[i] = wire::SackBlock{blocks[i].begin, blocks[i].end};
      }
      h.options.sack_count = static_cast<std::uint8_t>(n);
    }
  }
  // Probes (SND.UNA - 1) and resets (SEG.ACK) carry no data and may lie outside the send
  // buffer: only a data segment reads it (SendBuffer::peek's precondition).
  const auto parts = length > 0 ? send_buffer_.peek(seq, length) : std::array<wire::Bytes, 2>{};
  ctx_.output.transmit(tuple_, h, parts, smss_);
  // As nstat's OutSegs: every segment on the wire, also those the device cuts (TSO).
  ctx_.counters.add(Counter::tcp_tx_segments, length > smss_ ? (length + smss_ - 1) / smss_ : 1);
  if (!rst_only) {
    last_ack_sent_ = h.ack;
    ack_pending_ = ack_now_ = false;
    ack_may_wait_ = true;
    unacked_segments_ = 0;
    delayed_ack_deadline_ = kNever;
    receive_buffer_.clear_dsack();
  }
}

}  // namespace tapstack
