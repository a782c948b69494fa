// Connection establishment: RFC 9293 §3.5 (three-way handshake, simultaneous open), §3.7.1
// (MSS), RFC 7323 (window scale, timestamps) and RFC 2018 (SACK-permitted) negotiation.
#include "tests/unit/stack/tcp/connection_harness.hpp"

namespace tapstack::tcp_test {
namespace {

using TcpConnectionOpen = ConnectionTest;

TEST_F(TcpConnectionOpen, ActiveOpenSynCarriesAllOptions) {
  make();
  conn().open_active(SeqNum{kIss}, now_);
  EXPECT_EQ(conn().state(), TcpState::syn_sent);
  const Sent syn = take_one();
  EXPECT_TRUE(syn.is(TcpFlags::syn));
  EXPECT_EQ(syn.seq, kIss);
  EXPECT_EQ(syn.options.mss, 1460);  // route MTU 1500 - 20 (IPv4) - 20 (TCP)
  // RFC 7323 §2.3: the shift that fits receive_buffer_max (6 MiB) in 16 bits:
  // 6291456 >> 6 = 98304 > 65535, 6291456 >> 7 = 49152.
  EXPECT_EQ(syn.options.window_scale, 7);
  EXPECT_TRUE(syn.options.sack_permitted);
  // TSval: virtual ms (10 s) + the pair's offset (1000); TSecr 0 in a SYN.
  EXPECT_EQ(syn.options.timestamps, (wire::TcpTimestamps{11000, 0}));
  EXPECT_EQ(syn.window, 65535);  // RFC 7323 §2.2: never scaled in a SYN; 128 KiB capped
}

TEST_F(TcpConnectionOpen, SynOptionsFollowSettings) {
  settings_.sack = false;
  settings_.timestamps = false;
  settings_.window_scaling = false;
  make({}, 576);
  conn().open_active(SeqNum{kIss}, now_);
  const Sent syn = take_one();
  EXPECT_EQ(syn.options.mss, 536);  // 576 - 40
  EXPECT_FALSE(syn.options.window_scale.has_value());
  EXPECT_FALSE(syn.options.sack_permitted);
  EXPECT_FALSE(syn.options.timestamps.has_value());
}

TEST_F(TcpConnectionOpen, SynAckEstablishesAndNegotiatesEverything) {
  make();
  conn().open_active(SeqNum{kIss}, now_);
  take();
  now_ += 10ms;
  peer_echo_ = 11000;  // the SYN's TSval
  deliver(Peer{kPeerIss, kIss + 1, TcpFlags::syn | TcpFlags::ack, 65535, full_syn_options(), 0});
  EXPECT_EQ(conn().state(), TcpState::established);
  EXPECT_EQ(conn().take_events(), tcp_event::connected | tcp_event::writable);
  const Sent ack = take_one();
  EXPECT_TRUE(ack.is(TcpFlags::ack));
  EXPECT_EQ(ack.seq, kIss + 1);
  EXPECT_EQ(ack.ack, kPeerIss + 1);
  EXPECT_EQ(ack.options.timestamps, (wire::TcpTimestamps{11010, peer_tsval_}));  // 10 ms later
  EXPECT_EQ(ack.window, 131072 >> 7);  // the 128 KiB buffer, scaled by our shift 7
  const auto info = conn().info();
  EXPECT_TRUE(info.sack);
  EXPECT_TRUE(info.timestamps);
  EXPECT_EQ(info.snd_wscale, 7);
  EXPECT_EQ(info.rcv_wscale, 7);
  EXPECT_EQ(info.smss, 1448U);      // min(1460, 1460) - 12 bytes of timestamp option (RFC 7323)
  EXPECT_EQ(info.snd_wnd, 65535U);  // RFC 7323 §2.2: the SYN-ACK's window is not scaled
  EXPECT_EQ(info.srtt, Duration{10ms});  // TS echo: 11010 - 11000
  EXPECT_EQ(info.cwnd, 14480U);          // RFC 6928: min(10 * 1448, max(2 * 1448, 14600))
}

TEST_F(TcpConnectionOpen, OptionsNeedBothSides) {
  make();
  conn().open_active(SeqNum{kIss}, now_);
  take();
  wire::TcpOptions o;  // the peer offers nothing: MSS defaults to 536 (RFC 9293 §3.7.1)
  deliver(Peer{kPeerIss, kIss + 1, TcpFlags::syn | TcpFlags::ack, 65535, o, 0});
  const Sent ack = take_one();
  EXPECT_FALSE(ack.options.timestamps.has_value());
  EXPECT_EQ(ack.window, 65535);  // no scaling: 128 KiB capped at 16 bits
  const auto info = conn().info();
  EXPECT_FALSE(info.sack);
  EXPECT_FALSE(info.timestamps);
  EXPECT_EQ(info.snd_wscale, 0);
  EXPECT_EQ(info.rcv_wscale, 0);
  EXPECT_EQ(info.smss, 536U);
}

TEST_F(TcpConnectionOpen, MssClampedToOursAndPeers) {
  establish_active(full_syn_options(9000));
  EXPECT_EQ(conn().info().smss, 1448U);  // min(9000, 1460) - 12
  establish_active(full_syn_options(536));
  EXPECT_EQ(conn().info().smss, 524U);  // min(536, 1460) - 12
}

TEST_F(TcpConnectionOpen, WindowScaleAbove14UsedAs14) {
  wire::TcpOptions o = full_syn_options();
  o.window_scale = 15;  // RFC 7323 §2.3
  establish_active(o);
  EXPECT_EQ(conn().info().snd_wscale, 14);
}

TEST_F(TcpConnectionOpen, PassiveOpenAnswersWithMatchingOptions) {
  make();
  const SegmentIn syn{SeqNum{kPeerIss}, SeqNum{}, TcpFlags::syn, 65535, full_syn_options(), {}};
  conn().open_passive(syn, SeqNum{kIss}, now_);
  EXPECT_EQ(conn().state(), TcpState::syn_received);
  const Sent synack = take_one();
  EXPECT_TRUE(synack.is(TcpFlags::syn | TcpFlags::ack));
  EXPECT_EQ(synack.seq, kIss);
  EXPECT_EQ(synack.ack, kPeerIss + 1);
  EXPECT_EQ(synack.options.mss, 1460);
  EXPECT_EQ(synack.options.window_scale, 7);
  EXPECT_TRUE(synack.options.sack_permitted);
  // RFC 7323 §3.2: the SYN-ACK echoes the SYN's TSval.
  EXPECT_EQ(synack.options.timestamps, (wire::TcpTimestamps{11000, peer_tsval_}));

  now_ += 5ms;
  deliver(kPeerIss + 1, kIss + 1);  // the final ACK
  EXPECT_EQ(conn().state(), TcpState::established);
  EXPECT_TRUE(conn().take_events() & tcp_event::connected);
  expect_silent();                            // nothing to acknowledge
  EXPECT_EQ(conn().next_deadline(), kNever);  // SYN-ACK acknowledged: no retransmission timer
}

TEST_F(TcpConnectionOpen, PassiveOpenWithoutOptionsOffersOnlyMss) {
  make();
  wire::TcpOptions o;
  o.mss = 1400;
  const SegmentIn syn{SeqNum{kPeerIss}, SeqNum{}, TcpFlags::syn, 65535, o, {}};
  conn().open_passive(syn, SeqNum{kIss}, now_);
  const Sent synack = take_one();
  EXPECT_EQ(synack.options.mss, 1460);
  EXPECT_FALSE(synack.options.window_scale.has_value());
  EXPECT_FALSE(synack.options.sack_permitted);
  EXPECT_FALSE(synack.options.timestamps.has_value());
  EXPECT_EQ(conn().info().smss, 1400U);
}

TEST_F(TcpConnectionOpen, RetransmittedSynInSynReceivedResendsSynAck) {
  make();
  const SegmentIn syn{SeqNum{kPeerIss}, SeqNum{}, TcpFlags::syn, 65535, full_syn_options(), {}};
  conn().open_passive(syn, SeqNum{kIss}, now_);
  take();
  conn().on_segment(syn, now_);
  const Sent again = take_one();
  EXPECT_TRUE(again.is(TcpFlags::syn | TcpFlags::ack));
  EXPECT_EQ(again.seq, kIss);
}

TEST_F(TcpConnectionOpen, FinalAckWithBadAckGetsReset) {
  make();
  const SegmentIn syn{SeqNum{kPeerIss}, SeqNum{}, TcpFlags::syn, 65535, full_syn_options(), {}};
  conn().open_passive(syn, SeqNum{kIss}, now_);
  take();
  deliver(kPeerIss + 1, kIss + 50);  // RFC 9293 §3.10.7.4: <SEQ=SEG.ACK><CTL=RST>
  const Sent rst = take_one();
  EXPECT_TRUE(rst.is(TcpFlags::rst));
  EXPECT_EQ(rst.seq, kIss + 50);
  EXPECT_EQ(conn().state(), TcpState::syn_received);
}

TEST_F(TcpConnectionOpen, ResetInSynReceivedCloses) {
  make();
  const SegmentIn syn{SeqNum{kPeerIss}, SeqNum{}, TcpFlags::syn, 65535, full_syn_options(), {}};
  conn().open_passive(syn, SeqNum{kIss}, now_);
  take();
  deliver(kPeerIss + 1, 0, TcpFlags::rst);  // RFC 9293 §3.10.7.4 second check
  EXPECT_EQ(conn().state(), TcpState::closed);
  EXPECT_EQ(conn().next_deadline(), kNever);
  expect_silent();
}

TEST_F(TcpConnectionOpen, DataOnTheFinalAckIsReceived) {
  make();
  const SegmentIn syn{SeqNum{kPeerIss}, SeqNum{}, TcpFlags::syn, 65535, full_syn_options(), {}};
  conn().open_passive(syn, SeqNum{kIss}, now_);
  take();
  deliver(kPeerIss + 1, kIss + 1, TcpFlags::ack | TcpFlags::psh, 300);
  EXPECT_EQ(conn().state(), TcpState::established);
  EXPECT_EQ(take_one().ack, kPeerIss + 301);
  EXPECT_EQ(conn().info().receive_queue, 300U);
}

TEST_F(TcpConnectionOpen, OpenFromSynCookie) {
  make();
  // The final ACK of a handshake whose SYN-ACK was a cookie (ISS 1000): options come back
  // from the cookie, the window of this ACK is already scaled (RFC 7323 §2.2).
  const SynCookieOptions cookie{1460, 7, true};
  const SegmentIn ack{
      SeqNum{kPeerIss + 1}, SeqNum{kIss + 1}, TcpFlags::ack, 1000, peer_options(), {}};
  conn().open_from_cookie(ack, SeqNum{kIss}, cookie, now_);
  EXPECT_EQ(conn().state(), TcpState::established);
  expect_silent();
  const auto info = conn().info();
  EXPECT_EQ(info.snd_wnd, 128000U);  // 1000 << 7
  EXPECT_EQ(info.smss, 1448U);
  EXPECT_TRUE(info.sack);
  EXPECT_TRUE(info.timestamps);
  // RFC 7323 §4.3: the next in-order segment (SEG.SEQ = Last.ACK.sent = 5001) updates
  // TS.Recent, and our ACK echoes it.
  peer_tsval_ += 100;
  deliver(kPeerIss + 1, kIss + 1, TcpFlags::ack, 100);
  const Sent reply = take_one();
  EXPECT_EQ(reply.ack, kPeerIss + 101);
  EXPECT_EQ(reply.options.timestamps->echo_reply, peer_tsval_);
}

TEST_F(TcpConnectionOpen, CloseInSynReceivedSendsFinOnceEstablished) {
  make();
  const SegmentIn syn{SeqNum{kPeerIss}, SeqNum{}, TcpFlags::syn, 65535, full_syn_options(), {}};
  conn().open_passive(syn, SeqNum{kIss}, now_);
  take();
  conn().close(now_);  // RFC 9293 §3.10.4: queue the FIN until ESTABLISHED
  EXPECT_EQ(conn().state(), TcpState::syn_received);
  expect_silent();
  deliver(kPeerIss + 1, kIss + 1);
  EXPECT_EQ(conn().state(), TcpState::fin_wait_1);
  const Sent fin = take_one();
  EXPECT_TRUE(fin.is(TcpFlags::fin | TcpFlags::ack));
  EXPECT_EQ(fin.seq, kIss + 1);
}

// RFC 9293 §3.5 figure 8. The peer's SYN-ACK (SEQ=5000) falls left of RCV.NXT=5001 and is not
// acceptable (§3.10.7.4 first check): it is answered with an ACK; the peer's own ACK of our
// SYN-ACK completes the open.
TEST_F(TcpConnectionOpen, SimultaneousOpen) {
  make();
  conn().open_active(SeqNum{kIss}, now_);
  take();
  deliver(Peer{kPeerIss, 0, TcpFlags::syn, 65535, full_syn_options(), 0});
  EXPECT_EQ(conn().state(), TcpState::syn_received);
  const Sent synack = take_one();
  EXPECT_TRUE(synack.is(TcpFlags::syn | TcpFlags::ack));
  EXPECT_EQ(synack.seq, kIss);
  EXPECT_EQ(synack.ack, kPeerIss + 1);

  deliver(Peer{kPeerIss, kIss + 1, TcpFlags::syn | TcpFlags::ack, 65535, full_syn_options(), 0});
  const Sent ack = take_one();
  EXPECT_TRUE(ack.is(TcpFlags::ack));
  EXPECT_EQ(ack.seq, kIss + 1);
  EXPECT_EQ(ack.ack, kPeerIss + 1);

  deliver(kPeerIss + 1, kIss + 1);
  EXPECT_EQ(conn().state(), TcpState::established);
  EXPECT_TRUE(conn().info().sack);
}

}  // namespace
}  // namespace tapstack::tcp_test
