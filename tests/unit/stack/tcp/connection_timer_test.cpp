// Timers: retransmission (RFC 6298: initial RTO, backoff, Karn), retry limits (Linux
// tcp_syn_retries / tcp_retries2), persist (RFC 9293 §3.8.6.1) and keepalive (RFC 1122 §4.2.3.6).
#include "tests/unit/stack/tcp/connection_harness.hpp"

namespace tapstack::tcp_test {
namespace {

using TcpConnectionTimer = ConnectionTest;

TEST_F(TcpConnectionTimer, SynRetransmittedWithBackoffThenTimesOut) {
  make();
  const Instant start = now_;
  conn().open_active(SeqNum{kIss}, now_);
  take();
  // RFC 6298 §2.1: RTO 1 s before any sample, doubled per expiry (§5.5): retransmissions at
  // 1, 3, 7, 15, 31 and 63 s (syn_retries = 6); the 7th expiry at 127 s gives up (as Linux).
  for (const auto at_seconds : {1, 3, 7, 15, 31, 63}) {
    EXPECT_EQ(fire_next(), start + std::chrono::seconds(at_seconds));
    const Sent syn = take_one();
    EXPECT_TRUE(syn.is(TcpFlags::syn));
    EXPECT_EQ(syn.seq, kIss);
  }
  EXPECT_EQ(fire_next(), start + 127s);
  EXPECT_EQ(conn().state(), TcpState::closed);
  EXPECT_EQ(conn().error(), SocketError::timed_out);
  expect_silent();
  EXPECT_EQ(count(Counter::tcp_timeouts_fatal), 1U);
}

TEST_F(TcpConnectionTimer, DataRetransmittedWithBackoffThenTimesOut) {
  settings_.max_retransmissions = 3;
  establish_plain();  // the SYN-ACK came back at once: SRTT 0, RTO = the 200 ms floor
  EXPECT_EQ(conn().info().rto, Duration{200ms});
  const Instant start = now_;
  write(100);
  take();
  for (const auto at_ms : {200, 600, 1400}) {  // 200, then 400 and 800 ms apart
    EXPECT_EQ(fire_next(), start + std::chrono::milliseconds(at_ms));
    const Sent again = take_one();
    EXPECT_EQ(again.seq, kIss + 1);
    EXPECT_EQ(again.len(), 100U);
  }
  // RFC 5681 §3.1: after a timeout cwnd is the loss window, one segment.
  EXPECT_EQ(conn().info().cwnd, 1000U);
  EXPECT_EQ(fire_next(), start + 3000ms);  // the 4th expiry exceeds max_retransmissions
  EXPECT_EQ(conn().state(), TcpState::closed);
  EXPECT_EQ(conn().error(), SocketError::timed_out);
  EXPECT_EQ(count(Counter::tcp_retransmit_timeouts), 3U);
}

TEST_F(TcpConnectionTimer, UserTimeoutCountsFromTheUnacknowledgedSend) {
  TcpSocketOptions options;
  options.user_timeout = 700ms;  // RFC 5482
  establish_plain(options);      // RTO 200 ms
  const Instant start = now_;
  write(100);
  take();
  EXPECT_EQ(fire_next(), start + 200ms);
  EXPECT_EQ(fire_next(), start + 600ms);
  // The next backed-off expiry (1400 ms) is clamped to the user timeout, as Linux does
  // (tcp_clamp_rto_to_user_timeout): data unacknowledged for 700 ms fails the connection.
  EXPECT_EQ(fire_next(), start + 700ms);
  EXPECT_EQ(conn().state(), TcpState::closed);
  EXPECT_EQ(conn().error(), SocketError::timed_out);
}

TEST_F(TcpConnectionTimer, KarnNoSampleFromRetransmittedSegment) {
  establish_plain();  // SRTT 0 from the handshake
  write(100);
  take();
  fire_next();  // retransmission at +200 ms, RTO backed off to 400 ms
  take();
  now_ += 300ms;
  deliver(kPeerIss + 1, kIss + 101);
  // RFC 6298 §3 (Karn): the ACK may belong to either copy: no sample, backoff kept (§5.7).
  EXPECT_EQ(conn().info().srtt, Duration{0ms});
  EXPECT_EQ(conn().info().rto, Duration{400ms});
  write(100);
  take();
  now_ += 50ms;
  deliver(kPeerIss + 1, kIss + 201);
  // A fresh segment is timed: SRTT = 7/8 * 0 + 1/8 * 50 ms (RFC 6298 §2.3).
  EXPECT_EQ(conn().info().srtt, Duration{6250us});
  EXPECT_EQ(conn().info().rto, Duration{200ms});  // 6.25 + 4 * 12.5 = 56.25 ms, floored
}

TEST_F(TcpConnectionTimer, ZeroWindowProbesWithBackoffUntilReopened) {
  establish_plain({}, 1000, 0);  // the peer offers a zero window
  write(100);
  expect_silent();
  const Instant start = now_;
  // RFC 9293 §3.8.6.1: probe after an RTO (200 ms), backing off: +400 ms, +800 ms.
  for (const auto at_ms : {200, 600, 1400}) {
    EXPECT_EQ(fire_next(), start + std::chrono::milliseconds(at_ms));
    const Sent probe = take_one();
    EXPECT_TRUE(probe.is(TcpFlags::ack));
    EXPECT_EQ(probe.seq, kIss);  // SND.UNA - 1: the peer must answer with an ACK
    EXPECT_EQ(probe.len(), 0U);
    deliver(Peer{kPeerIss + 1, kIss + 1, TcpFlags::ack, 0, {}, 0});
    expect_silent();
  }
  EXPECT_EQ(count(Counter::tcp_window_probes), 3U);
  EXPECT_EQ(conn().state(), TcpState::established);  // an answering peer is never timed out
  deliver(Peer{kPeerIss + 1, kIss + 1, TcpFlags::ack, 1000, {}, 0});
  const Sent data = take_one();
  EXPECT_EQ(data.seq, kIss + 1);
  EXPECT_EQ(data.len(), 100U);
}

class TcpConnectionKeepalive : public ConnectionTest {
 protected:
  TcpSocketOptions keepalive_options() const {
    TcpSocketOptions o;
    o.keepalive = true;
    o.keepalive_idle = 10s;
    o.keepalive_interval = 2s;
    o.keepalive_count = 3;
    return o;
  }
};

TEST_F(TcpConnectionKeepalive, UnansweredProbesTimeOutWithReset) {
  establish_active(full_syn_options(), keepalive_options());
  const Instant start = now_;
  // RFC 1122 §4.2.3.6: probe after `idle`, then every `interval`; give up after `count`.
  for (const auto at_seconds : {10, 12, 14}) {
    EXPECT_EQ(fire_next(), start + std::chrono::seconds(at_seconds));
    const Sent probe = take_one();
    EXPECT_TRUE(probe.is(TcpFlags::ack));
    EXPECT_EQ(probe.seq, kIss);  // SND.UNA - 1 (an old byte): forces an ACK
    EXPECT_EQ(probe.len(), 0U);
  }
  EXPECT_EQ(fire_next(), start + 16s);
  const Sent rst = take_one();
  EXPECT_TRUE(rst.has(TcpFlags::rst));
  EXPECT_EQ(conn().state(), TcpState::closed);
  EXPECT_EQ(conn().error(), SocketError::timed_out);
  EXPECT_EQ(count(Counter::tcp_keepalive_probes), 3U);
}

TEST_F(TcpConnectionKeepalive, AnsweredProbeRestartsIdleTime) {
  establish_active(full_syn_options(), keepalive_options());
  const Instant start = now_;
  fire_next();
  take();
  deliver(kPeerIss + 1, kIss + 1);  // the peer is alive
  expect_silent();
  EXPECT_EQ(conn().next_deadline(), start + 20s);
}

TEST_F(TcpConnectionKeepalive, NoProbeWhileDataIsOutstanding) {
  settings_.max_retransmissions = 100;
  establish_active(full_syn_options(), keepalive_options());
  const Instant start = now_;
  write(100);
  take();
  run_until(start + 10s);  // the retransmission timer keeps watch instead (Linux)
  for (const Sent& s : take()) EXPECT_EQ(s.len(), 100U) << "a keepalive probe was sent";
  EXPECT_EQ(count(Counter::tcp_keepalive_probes), 0U);
}

TEST_F(TcpConnectionKeepalive, IdleCountsFromEstablishment) {
  make(keepalive_options());
  conn().open_active(SeqNum{kIss}, now_);
  advance(5s);  // two SYN retransmissions (1 s, 3 s)
  take();
  deliver(Peer{kPeerIss, kIss + 1, TcpFlags::syn | TcpFlags::ack, 65535, full_syn_options(), 0});
  ASSERT_EQ(conn().state(), TcpState::established);
  EXPECT_EQ(conn().next_deadline(), now_ + 10s);
}

}  // namespace
}  // namespace tapstack::tcp_test
