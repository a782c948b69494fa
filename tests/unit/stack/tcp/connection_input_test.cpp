// Segment arrival checks: RFC 9293 §3.10.7.3/§3.10.7.4, the RFC 5961 defences (RST and SYN
// challenge ACKs, ACK range), PAWS and TS.Recent (RFC 7323 §4.3, §5.3).
#include "tests/unit/stack/tcp/connection_harness.hpp"

namespace tapstack::tcp_test {
namespace {

class TcpConnectionInput : public ConnectionTest {
 protected:
  void SetUp() override { establish_active(full_syn_options()); }
};

TEST_F(TcpConnectionInput, UnacceptableSegmentGetsAck) {
  // RCV.WND is 131072: a segment starting 200000 past RCV.NXT is outside it.
  deliver(kPeerIss + 1 + 200000, kIss + 1, TcpFlags::ack, 100);
  const Sent ack = take_one();
  EXPECT_TRUE(ack.is(TcpFlags::ack));
  EXPECT_EQ(ack.seq, kIss + 1);
  EXPECT_EQ(ack.ack, kPeerIss + 1);
  EXPECT_EQ(count(Counter::tcp_drop_out_of_window), 1U);
  EXPECT_EQ(conn().info().receive_queue, 0U);
}

TEST_F(TcpConnectionInput, UnacceptableDataIsAnsweredEveryTime) {
  // A retransmission may need the ACK at once: data segments are never rate limited.
  for (int i = 0; i < 3; ++i) {
    deliver(kPeerIss + 1 + 200000, kIss + 1, TcpFlags::ack, 100);
    EXPECT_EQ(take_one().ack, kPeerIss + 1);
  }
  EXPECT_EQ(count(Counter::tcp_invalid_ack_limited), 0U);
}

TEST_F(TcpConnectionInput, UnacceptablePureAcksAreAnsweredAtMostEvery500ms) {
  // An ACK storm (Linux tcp_oow_rate_limited, tcp_invalid_ratelimit = 500 ms): one answer.
  for (int i = 0; i < 100; ++i) deliver(kPeerIss + 1 + 200000, kIss + 1, TcpFlags::ack);
  EXPECT_EQ(take_one().ack, kPeerIss + 1);
  EXPECT_EQ(count(Counter::tcp_drop_out_of_window), 100U);
  EXPECT_EQ(count(Counter::tcp_invalid_ack_limited), 99U);
  now_ += 499ms;
  deliver(kPeerIss + 1 + 200000, kIss + 1, TcpFlags::ack);
  expect_silent();
  now_ += 1ms;
  deliver(kPeerIss + 1 + 200000, kIss + 1, TcpFlags::ack);
  EXPECT_EQ(take_one().ack, kPeerIss + 1);
  EXPECT_EQ(conn().state(), TcpState::established);
}

TEST_F(TcpConnectionInput, UnacceptableResetIsDroppedSilently) {
  deliver(kPeerIss + 1 + 200000, kIss + 1, TcpFlags::rst);
  expect_silent();  // RFC 9293 §3.10.7.4: "If the RST bit is set ... drop it and return"
  EXPECT_EQ(conn().state(), TcpState::established);
}

TEST_F(TcpConnectionInput, ResetAtRcvNxtResets) {
  deliver(kPeerIss + 1, 0, TcpFlags::rst);
  EXPECT_EQ(conn().state(), TcpState::closed);
  EXPECT_EQ(conn().error(), SocketError::connection_reset);
  EXPECT_EQ(conn().take_events() & (tcp_event::error | tcp_event::closed),
            tcp_event::error | tcp_event::closed);
  expect_silent();
  EXPECT_EQ(conn().next_deadline(), kNever);
}

TEST_F(TcpConnectionInput, InWindowResetGetsRateLimitedChallengeAck) {
  // RFC 5961 §3.2: an in-window RST that is not exactly RCV.NXT earns a challenge ACK.
  deliver(kPeerIss + 101, 0, TcpFlags::rst);
  EXPECT_EQ(conn().state(), TcpState::established);
  const Sent ack = take_one();
  EXPECT_TRUE(ack.is(TcpFlags::ack));
  EXPECT_EQ(ack.ack, kPeerIss + 1);
  // At most one challenge ACK per 500 ms (RFC 5961 §7, Linux tcp_invalid_ratelimit).
  now_ += 499ms;
  deliver(kPeerIss + 101, 0, TcpFlags::rst);
  expect_silent();
  EXPECT_EQ(count(Counter::tcp_challenge_ack_limited), 1U);
  now_ += 1ms;
  deliver(kPeerIss + 101, 0, TcpFlags::rst);
  EXPECT_EQ(take_one().ack, kPeerIss + 1);
  EXPECT_EQ(count(Counter::tcp_challenge_rst), 3U);
  EXPECT_EQ(count(Counter::tcp_challenge_acks), 2U);
}

TEST_F(TcpConnectionInput, SynInSynchronizedStateGetsChallengeAck) {
  deliver(Peer{kPeerIss + 1, 0, TcpFlags::syn, 65535, full_syn_options(), 0});
  EXPECT_EQ(conn().state(), TcpState::established);  // RFC 5961 §4.2: never reset by a SYN
  const Sent ack = take_one();
  EXPECT_TRUE(ack.is(TcpFlags::ack));
  EXPECT_EQ(ack.seq, kIss + 1);
  EXPECT_EQ(ack.ack, kPeerIss + 1);
  EXPECT_EQ(count(Counter::tcp_challenge_syn), 1U);
}

TEST_F(TcpConnectionInput, AckOfUnsentDataIsAnsweredAndDropped) {
  deliver(kPeerIss + 1, kIss + 1001, TcpFlags::ack, 100);  // we sent nothing past 1001
  const Sent ack = take_one();
  EXPECT_EQ(ack.ack, kPeerIss + 1);  // the data was not taken
  EXPECT_EQ(count(Counter::tcp_drop_ack_unsent), 1U);
  EXPECT_EQ(conn().info().receive_queue, 0U);
}

TEST_F(TcpConnectionInput, PureAcksOfUnsentDataAreAnsweredAtMostEvery500ms) {
  for (int i = 0; i < 50; ++i) deliver(kPeerIss + 1, kIss + 1001, TcpFlags::ack);
  EXPECT_EQ(take_one().ack, kPeerIss + 1);
  EXPECT_EQ(count(Counter::tcp_drop_ack_unsent), 50U);
  EXPECT_EQ(count(Counter::tcp_invalid_ack_limited), 49U);
  now_ += 500ms;
  deliver(kPeerIss + 1, kIss + 1001, TcpFlags::ack);
  EXPECT_EQ(take_one().ack, kPeerIss + 1);
}

TEST_F(TcpConnectionInput, AckOlderThanMaxWindowGetsChallengeAck) {
  // RFC 5961 §5.2: acceptable ACKs are >= SND.UNA - MAX.SND.WND = 1001 - 65535.
  deliver(kPeerIss + 1, kIss + 1 - 65536, TcpFlags::ack, 100);
  EXPECT_EQ(take_one().ack, kPeerIss + 1);
  EXPECT_EQ(count(Counter::tcp_drop_old_ack), 1U);
  EXPECT_EQ(conn().info().receive_queue, 0U);
  // Exactly SND.UNA - MAX.SND.WND is still acceptable: the data is taken.
  now_ += 1s;
  deliver(kPeerIss + 1, kIss + 1 - 65535, TcpFlags::ack, 100);
  EXPECT_EQ(conn().info().receive_queue, 100U);
}

TEST_F(TcpConnectionInput, SegmentWithoutAckIsDropped) {
  deliver(kPeerIss + 1, 0, 0, 100);
  expect_silent();
  EXPECT_EQ(count(Counter::tcp_drop_no_ack), 1U);
  EXPECT_EQ(conn().info().receive_queue, 0U);
}

TEST_F(TcpConnectionInput, SynSentBadAckGetsResetWithSegAck) {
  make();
  conn().open_active(SeqNum{kIss}, now_);
  take();
  // RFC 9293 §3.10.7.3: SEG.ACK =< ISS or > SND.NXT -> <SEQ=SEG.ACK><CTL=RST>.
  deliver(Peer{kPeerIss, kIss + 500, TcpFlags::syn | TcpFlags::ack, 65535, {}, 0});
  const Sent rst = take_one();
  EXPECT_TRUE(rst.is(TcpFlags::rst));
  EXPECT_EQ(rst.seq, kIss + 500);
  deliver(Peer{kPeerIss, kIss, TcpFlags::syn | TcpFlags::ack, 65535, {}, 0});
  EXPECT_EQ(take_one().seq, kIss);
  EXPECT_EQ(conn().state(), TcpState::syn_sent);
}

TEST_F(TcpConnectionInput, SynSentResetWithGoodAckIsRefused) {
  make();
  conn().open_active(SeqNum{kIss}, now_);
  take();
  deliver(Peer{0, kIss + 1, TcpFlags::rst, 0, {}, 0});  // no ACK bit: ignored
  EXPECT_EQ(conn().state(), TcpState::syn_sent);
  deliver(Peer{0, kIss + 1, TcpFlags::rst | TcpFlags::ack, 0, {}, 0});
  EXPECT_EQ(conn().state(), TcpState::closed);
  EXPECT_EQ(conn().error(), SocketError::connection_refused);
  expect_silent();
}

TEST_F(TcpConnectionInput, OlderSegmentDoesNotChangeSendWindow) {
  Peer p = peer(kPeerIss + 1, kIss + 1, TcpFlags::ack, 100);
  p.window = 1000;  // scaled by 7: 128000
  deliver(p);
  EXPECT_EQ(conn().info().snd_wnd, 128000U);
  // RFC 9293 §3.10.7.4: SND.WL1 = 5001 < SEG.SEQ 5101 updates; an older SEG.SEQ (a reordered
  // segment, 5051..5151, still acceptable: it overlaps RCV.NXT 5101) must not.
  p.seq = kPeerIss + 101;
  p.payload = 0;
  p.window = 2000;
  deliver(p);
  EXPECT_EQ(conn().info().snd_wnd, 256000U);
  p.seq = kPeerIss + 51;
  p.payload = 100;
  p.window = 10;
  deliver(p);
  EXPECT_EQ(conn().info().receive_queue, 150U);  // accepted: its new half was taken
  EXPECT_EQ(conn().info().snd_wnd, 256000U);
}

TEST_F(TcpConnectionInput, RetransmittedSynAckGetsAck) {
  // Our final ACK was lost: the peer resends its SYN-ACK, left of RCV.NXT: answer with an ACK.
  deliver(Peer{kPeerIss, kIss + 1, TcpFlags::syn | TcpFlags::ack, 65535, full_syn_options(), 0});
  const Sent ack = take_one();
  EXPECT_TRUE(ack.is(TcpFlags::ack));
  EXPECT_EQ(ack.seq, kIss + 1);
  EXPECT_EQ(ack.ack, kPeerIss + 1);
  EXPECT_EQ(conn().state(), TcpState::established);
}

TEST_F(TcpConnectionInput, PawsDropsOldTimestamp) {
  peer_tsval_ -= 1;  // older than TS.Recent
  deliver(kPeerIss + 1, kIss + 1, TcpFlags::ack, 100);
  const Sent ack = take_one();  // RFC 7323 §5.3 R1: acknowledge and drop
  EXPECT_EQ(ack.ack, kPeerIss + 1);
  EXPECT_EQ(count(Counter::tcp_drop_paws), 1U);
  EXPECT_EQ(conn().info().receive_queue, 0U);
  // PAWS does not apply to a RST (RFC 7323 §5.3 R1 reads "non-RST").
  deliver(kPeerIss + 1, 0, TcpFlags::rst);
  EXPECT_EQ(conn().state(), TcpState::closed);
}

TEST_F(TcpConnectionInput, PawsForgetsTsRecentAfter24DaysIdle) {
  // The peer's 1 ms clock runs 2^31 ticks in 24.8 days: after that long an honest TSval looks
  // older than TS.Recent. RFC 7323 §5.5: TS.Recent is invalid after 24 days idle.
  advance(std::chrono::hours(24 * 24));  // 24 days: still valid
  peer_tsval_ -= 1;
  deliver(kPeerIss + 1, kIss + 1, TcpFlags::ack, 100);
  EXPECT_EQ(count(Counter::tcp_drop_paws), 1U);
  advance(std::chrono::hours(24));  // 25 days since TS.Recent was set
  deliver(kPeerIss + 1, kIss + 1, TcpFlags::ack, 100);
  EXPECT_EQ(count(Counter::tcp_drop_paws), 1U);
  EXPECT_EQ(conn().info().receive_queue, 100U);
  // The segment's TSval is the new TS.Recent: echoed, and the next segment is checked
  // against it.
  take();
  deliver(kPeerIss + 101, kIss + 1, TcpFlags::ack, 100);
  EXPECT_EQ(take_one().options.timestamps->echo_reply, peer_tsval_);
}

TEST_F(TcpConnectionInput, TsRecentFollowsLastAckSent) {
  peer_tsval_ = 700100;
  deliver(kPeerIss + 1, kIss + 1, TcpFlags::ack, 100);
  EXPECT_EQ(take_one().options.timestamps->echo_reply, 700100U);
  // RFC 7323 §4.3: an out-of-order segment (SEG.SEQ > Last.ACK.sent = 5101) does not update
  // TS.Recent, so the ACK it triggers still echoes 700100.
  peer_tsval_ = 700200;
  deliver(kPeerIss + 1101, kIss + 1, TcpFlags::ack, 100);
  EXPECT_EQ(take_one().options.timestamps->echo_reply, 700100U);
  // The segment that fills the hole starts at Last.ACK.sent: its TSval is taken.
  peer_tsval_ = 700300;
  deliver(kPeerIss + 101, kIss + 1, TcpFlags::ack, 1000);
  const Sent ack = take_one();
  EXPECT_EQ(ack.ack, kPeerIss + 1201);
  EXPECT_EQ(ack.options.timestamps->echo_reply, 700300U);
}

TEST_F(TcpConnectionInput, EchoAheadOfOurClockIsNoRttSample) {
  const auto srtt = conn().info().srtt;
  write(100);
  take();
  now_ += 50ms;
  peer_echo_ = our_ts(now_) + 1000;  // 1 s in our future
  deliver(kPeerIss + 1, kIss + 101);
  EXPECT_EQ(conn().info().srtt, srtt);
  EXPECT_EQ(conn().info().send_queue, 0U);  // the ACK itself was processed
  write(100);
  take();
  // "67 ms ago", but the connection exists for 50 ms only: not a TSval we sent.
  peer_echo_ = our_ts(now_) - 67;
  deliver(kPeerIss + 1, kIss + 201);
  EXPECT_EQ(conn().info().srtt, srtt);
  EXPECT_EQ(conn().info().send_queue, 0U);
}

TEST_F(TcpConnectionInput, EchoOfAncientTimestampIsNoRttSample) {
  const auto srtt = conn().info().srtt;
  now_ += 300s;
  write(100);
  take();
  peer_echo_ = our_ts(now_ - 300s);  // 300 s ago: longer than any RTO (120 s)
  deliver(kPeerIss + 1, kIss + 101);
  EXPECT_EQ(conn().info().srtt, srtt);
}

}  // namespace
}  // namespace tapstack::tcp_test
