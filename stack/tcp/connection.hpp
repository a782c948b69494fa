// One TCP connection: the RFC 9293 state machine with its send and receive sequence spaces,
// timers held as deadlines, options (RFC 7323, RFC 2018), loss recovery (RFC 6675, RFC 6582)
// and congestion control. Pure: segments and `now` in, segments out through SegmentOutput.
//
// Split by concern: connection.cpp (opening, application calls, timers), input.cpp (segment
// arrival, RFC 9293 §3.10.7), ack.cpp (acknowledgement and loss recovery), output.cpp (what
// to send now and how segments are built).
#pragma once

#include <cstdint>
#include <optional>

#include "stack/base/result.hpp"
#include "stack/stats/counters.hpp"
#include "stack/tcp/congestion/congestion_control.hpp"
#include "stack/tcp/receive_buffer.hpp"
#include "stack/tcp/rtt_estimator.hpp"
#include "stack/tcp/sack_scoreboard.hpp"
#include "stack/tcp/segment.hpp"
#include "stack/tcp/send_buffer.hpp"
#include "stack/tcp/syn_cookies.hpp"
#include "stack/tcp/tcp_types.hpp"

namespace tapstack {

// Bits returned by TcpConnection::take_events().
namespace tcp_event {
inline constexpr std::uint8_t readable = 0x01;   // data, EOF or an error to report
inline constexpr std::uint8_t writable = 0x02;   // send buffer space
inline constexpr std::uint8_t connected = 0x04;  // the handshake completed
inline constexpr std::uint8_t error = 0x08;      // error() is set
inline constexpr std::uint8_t closed = 0x10;     // reached CLOSED: the layer may free it
}  // namespace tcp_event

// Numbers for TCP_INFO and `tapstackctl sockets`.
struct TcpConnectionInfo {
  TcpState state;
  std::uint32_t cwnd;
  std::uint32_t ssthresh;
  std::uint32_t smss;
  std::optional<Duration> srtt;
  Duration rttvar;
  Duration rto;
  std::uint32_t retransmits;  // segments retransmitted in total
  std::uint32_t snd_wnd;
  std::uint32_t rcv_wnd;
  std::size_t send_queue;     // bytes not yet acknowledged
  std::size_t receive_queue;  // bytes not yet read
  bool sack;
  bool timestamps;
  std::uint8_t snd_wscale;
  std::uint8_t rcv_wscale;
  CongestionAlgorithm congestion;
};

class TcpConnection {
 public:
  struct Context {
    const TcpSettings& settings;
    SegmentOutput& output;
    Counters& counters;
  };

  // `route_mtu` is the IP MTU toward the peer; our MSS is clamped to it (RFC 9293 §3.7.1).
  TcpConnection(Context context, const FourTuple& tuple, const TcpSocketOptions& options,
                std::uint16_t route_mtu, std::uint32_t ts_offset, Instant now);

  // Active open (RFC 9293 §3.10.1): CLOSED -> SYN-SENT, sends the SYN.
  void open_active(SeqNum iss, Instant now);
  // Passive open from a SYN that a listener accepted: -> SYN-RECEIVED, sends the SYN-ACK.
  void open_passive(const SegmentIn& syn, SeqNum iss, Instant now);
  // The final ACK of a handshake answered with a SYN cookie: straight to ESTABLISHED.
  void open_from_cookie(const SegmentIn& ack, SeqNum iss, const SynCookieOptions& cookie,
                        Instant now);

  void on_segment(const SegmentIn& segment, Instant now);
  void on_timer(Instant now);
  Instant next_deadline() const;

  // Application calls. send() takes what fits in the send buffer (0 bytes -> would_block).
  Result<std::size_t, SocketError> send(wire::Bytes data, Instant now);
  // Returns 0 at end of stream (the peer's FIN, all data read).
  Result<std::size_t, SocketError> receive(wire::MutableBytes out, bool peek, Instant now);
  // Zero-copy receive: the bytes waiting, in place (two pieces where the buffer wraps), valid
  // until the next call on this connection. Both pieces empty means end of stream; errors as
  // receive().
  Result<std::array<wire::Bytes, 2>, SocketError> readable_bytes();
  // Takes the first `count` of them (count <= their total): a receive() without the copy.
  void consume(std::size_t count, Instant now);
  void shutdown_send(Instant now);
  // Graceful close; unread received data turns it into a reset (RFC 2525 §2.17, as Linux).
  void close(Instant now);
  // Reset now (SO_LINGER with a zero timeout).
  void abort(Instant now);
  // Abort, and report `error` to the owner as a reset by the peer would be.
  void reset(SocketError error, Instant now);
  void set_options(const TcpSocketOptions& options, Instant now);
  const TcpSocketOptions& options() const { return options_; }

  TcpState state() const { return state_; }
  const FourTuple& tuple() const { return tuple_; }
  std::optional<SocketError> error() const { return error_; }
  std::optional<SocketError> take_error();
  bool readable() const;
  bool writable() const;
  bool peer_closed() const { return fin_received_; }
  // A routine ACK held back until the end of the receive batch (see output()).
  bool ack_deferred() const { return ack_now_; }
  // The receive batch ended: sends the ACK held back, unless data carried it meanwhile.
  void send_deferred_ack(Instant now) {
    if (ack_now_) send_ack(now);
  }
  std::uint8_t take_events();
  // The device toward the peer cuts segments (TSO): new data may go out in segments of up to
  // 64 KB, each a whole number of SMSS-sized segments on the wire.
  void enable_segmentation_offload() { segmentation_offload_ = true; }
  // Output stopped because SegmentOutput::has_room() said no; resume_output() continues.
  bool output_blocked() const { return output_blocked_; }
  void resume_output(Instant now);
  TcpConnectionInfo info() const;
  // The peer's timestamp clock has moved past `tsval`, or its ISN past our rcv_nxt: a new SYN
  // for this tuple may reuse it from TIME-WAIT (RFC 6191).
  bool may_reuse_for(const SegmentIn& syn) const;

 private:
  // connection.cpp
  void enter(TcpState state, Instant now);
  void fail(SocketError error, Instant now);
  void on_retransmit_timeout(Instant now);
  void on_persist_timeout(Instant now);
  void on_keepalive_timeout(Instant now);
  void negotiate(const SegmentIn& syn);
  void start_keepalive();
  void autotune_receive_buffer(std::size_t copied, Instant now);
  // input.cpp
  void on_segment_syn_sent(const SegmentIn& seg, Instant now);
  bool acceptable(const SegmentIn& seg) const;
  bool ts_recent_outdated(Instant now) const;
  bool paws_rejects(const SegmentIn& seg, Instant now) const;
  void report_old_duplicate(const SegmentIn& seg);
  bool on_reset(const SegmentIn& seg, Instant now);
  bool on_ack_field(const SegmentIn& seg, Instant now);
  void on_text(const SegmentIn& seg, Instant now);
  void on_fin(Instant now);
  void send_challenge_ack(Instant now);
  void answer_invalid(const SegmentIn& seg, Instant now);
  void update_ts_recent(const SegmentIn& seg, Instant now);
  // ack.cpp
  void on_new_ack(const SegmentIn& seg, Instant now);
  void on_duplicate_ack(const SegmentIn& seg, Instant now);
  void update_send_window(const SegmentIn& seg);
  std::optional<Duration> timestamp_rtt(const SegmentIn& seg, Instant now) const;
  std::optional<Duration> take_rtt_sample(const SegmentIn& seg, SeqNum acked_to, Instant now);
  std::uint32_t apply_sack(const SegmentIn& seg);
  void enter_recovery(Instant now);
  void send_recovery_segments(Instant now);
  std::uint32_t pipe() const;
  std::uint32_t bytes_in_flight() const;
  // output.cpp
  void output(Instant now);
  bool send_new_data(Instant now, std::uint32_t window_limit);
  std::uint32_t max_send_size() const;
  void retransmit(SeqNum seq, std::uint32_t max_length, Instant now);
  void send_segment(SeqNum seq, std::uint32_t length, std::uint8_t flags, Instant now);
  void send_ack(Instant now);
  bool ack_may_wait() const;
  void send_reset(Instant now);
  void send_syn(Instant now);
  std::uint16_t advertised_window();
  std::uint32_t receive_window() const;
  void schedule_ack(bool immediately, Instant now);
  void arm_retransmit_timer(Instant now);
  std::uint32_t ts_value(Instant now) const;

  Context ctx_;
  FourTuple tuple_;
  TcpSocketOptions options_;
  TcpState state_ = TcpState::closed;
  std::optional<SocketError> error_;
  std::uint8_t events_ = 0;
  bool output_blocked_ = false;

  // Send sequence space (RFC 9293 §3.3.1). snd_max_ is the highest sequence sent: after a
  // timeout snd_nxt_ goes back to snd_una_ and resends toward it.
  SeqNum iss_;
  SeqNum snd_una_;
  SeqNum snd_nxt_;
  SeqNum snd_max_;
  std::uint32_t snd_wnd_ = 0;
  std::uint32_t max_snd_wnd_ = 0;
  SeqNum snd_wl1_;
  SeqNum snd_wl2_;
  std::uint8_t snd_wscale_ = 0;
  bool fin_queued_ = false;  // the application shut down sending
  bool push_ = false;        // uncorked: send the queued short segment despite Nagle
  bool app_closed_ = false;  // close() was called: nobody reads any more (orphaned)
  bool fin_sent_ = false;
  SeqNum fin_seq_;  // sequence number of our FIN, once sent

  // Receive sequence space. rcv_nxt is the receive buffer's, plus one once a FIN arrived.
  SeqNum irs_;
  std::uint8_t rcv_wscale_ = 0;
  SeqNum rcv_adv_;  // right edge of the window we advertised: never moves left (§3.8.6)
  bool fin_received_ = false;
  std::optional<SeqNum> pending_fin_;  // a FIN that arrived ahead of missing data

  // Options (RFC 7323, RFC 2018) and segment size.
  std::uint16_t our_mss_;     // advertised: route MTU - 40
  std::uint32_t smss_ = 536;  // payload bytes per segment we send (RFC 9293 §3.7.1 default)
  bool segmentation_offload_ = false;
  bool ts_enabled_ = false;
  bool sack_enabled_ = false;
  bool ws_enabled_ = false;
  std::uint32_t ts_recent_ = 0;
  Instant ts_recent_time_;  // when TS.Recent was last set (RFC 7323 §5.5)
  SeqNum last_ack_sent_;

  SendBuffer send_buffer_;
  ReceiveBuffer receive_buffer_;
  bool autotune_ = true;
  std::size_t autotune_copied_ = 0;
  Instant autotune_since_;
  SackScoreboard scoreboard_;
  RttEstimator rtt_;
  CongestionController congestion_;
  std::optional<std::pair<SeqNum, Instant>> rtt_probe_;  // timed segment without timestamps

  // Loss recovery (RFC 6675 with SACK, RFC 6582 without).
  std::uint32_t dupacks_ = 0;
  bool in_recovery_ = false;
  SeqNum recovery_point_;
  bool after_timeout_ = false;  // no new recovery until SND.UNA reaches recovery_point_
  SeqNum high_rxt_;

  // Timers as deadlines (DESIGN.md §2.5); kNever when not running.
  Instant retransmit_deadline_ = kNever;
  Instant delayed_ack_deadline_ = kNever;
  Instant persist_deadline_ = kNever;
  Instant keepalive_deadline_ = kNever;
  Instant time_wait_deadline_ = kNever;
  std::uint32_t timeouts_ = 0;      // consecutive retransmission timeouts
  Instant first_timeout_ = kNever;  // TCP_USER_TIMEOUT: since when data waits for an ACK
  std::uint32_t persist_backoff_ = 0;
  std::uint32_t keepalive_probes_ = 0;
  std::uint32_t total_retransmits_ = 0;

  // Acknowledgement policy (RFC 9293 §3.8.6.3, RFC 1122 §4.2.3.2).
  bool ack_pending_ = false;  // an ACK is owed (delayed)
  bool ack_now_ = false;      // ... and must go out with this turn's output
  bool ack_may_wait_ = true;  // ... but only for the every-second-segment rule: may wait for
                              // the end of a receive batch (SegmentOutput::in_receive_batch)
  std::uint32_t unacked_segments_ = 0;
  std::uint32_t quick_acks_ = 16;  // Linux quickack mode at start
  Instant last_received_;
  Instant last_challenge_ack_ = Instant::min();
  Instant last_invalid_ack_ = Instant::min();  // answer_invalid()'s rate limit
  Instant ts_epoch_;                           // creation: no RTT sample can be older
  // RFC 7323 §5.4: TSval = the stack's millisecond clock plus an offset per address pair, so
  // successive connections between two hosts keep increasing timestamps (RFC 6191 reuse) and
  // a SYN-cookie connection continues the clock its SYN-ACK started.
  std::uint32_t ts_offset_;
};

}  // namespace tapstack
