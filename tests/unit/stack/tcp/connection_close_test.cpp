// Closing: RFC 9293 §3.6 (FIN-WAIT-1/2, CLOSING, TIME-WAIT, CLOSE-WAIT, LAST-ACK), resets on
// close with unread data (RFC 2525 §2.17) and abort (§3.10.5), TIME-WAIT reuse (RFC 6191).
#include "tests/unit/stack/tcp/connection_harness.hpp"

namespace tapstack::tcp_test {
namespace {

class TcpConnectionClose : public ConnectionTest {
 protected:
  void SetUp() override { establish_active(full_syn_options()); }

  // Active close up to TIME-WAIT: our FIN (1001) acknowledged, then the peer's FIN (5001).
  void close_to_time_wait() {
    conn().close(now_);
    take();
    deliver(kPeerIss + 1, kIss + 2);
    deliver(kPeerIss + 1, kIss + 2, TcpFlags::fin | TcpFlags::ack);
    ASSERT_EQ(conn().state(), TcpState::time_wait);
    take();
  }
};

TEST_F(TcpConnectionClose, ActiveCloseThroughFinWait2AndTimeWait) {
  conn().close(now_);
  EXPECT_EQ(conn().state(), TcpState::fin_wait_1);
  const Sent fin = take_one();
  EXPECT_TRUE(fin.is(TcpFlags::fin | TcpFlags::ack));
  EXPECT_EQ(fin.seq, kIss + 1);
  deliver(kPeerIss + 1, kIss + 2);  // ACK of our FIN
  EXPECT_EQ(conn().state(), TcpState::fin_wait_2);
  expect_silent();
  deliver(kPeerIss + 1, kIss + 2, TcpFlags::fin | TcpFlags::ack);
  EXPECT_EQ(conn().state(), TcpState::time_wait);
  const Sent ack = take_one();
  EXPECT_EQ(ack.seq, kIss + 2);
  EXPECT_EQ(ack.ack, kPeerIss + 2);  // the FIN occupies one sequence number
  // TIME-WAIT lasts settings.time_wait (60 s), then the connection is CLOSED without error.
  EXPECT_EQ(conn().next_deadline(), now_ + 60s);
  conn().take_events();
  advance(60s - 1ms);
  EXPECT_EQ(conn().state(), TcpState::time_wait);
  advance(1ms);
  EXPECT_EQ(conn().state(), TcpState::closed);
  EXPECT_TRUE(conn().take_events() & tcp_event::closed);
  EXPECT_FALSE(conn().error().has_value());
  expect_silent();
}

TEST_F(TcpConnectionClose, RetransmittedFinRestartsTimeWait) {
  settings_.time_wait = 10s;
  close_to_time_wait();
  const Instant entered = now_;
  advance(6s);
  // RFC 9293 §3.10.7.4 (TIME-WAIT): acknowledge a retransmitted FIN, restart the 2 MSL wait.
  deliver(kPeerIss + 1, kIss + 2, TcpFlags::fin | TcpFlags::ack);
  const Sent ack = take_one();
  EXPECT_EQ(ack.ack, kPeerIss + 2);
  EXPECT_EQ(conn().next_deadline(), entered + 16s);
  advance(9s);
  EXPECT_EQ(conn().state(), TcpState::time_wait);
  advance(1s);
  EXPECT_EQ(conn().state(), TcpState::closed);
}

TEST_F(TcpConnectionClose, SimultaneousCloseGoesThroughClosing) {
  conn().close(now_);
  take();
  // The peer's FIN crosses ours: it does not acknowledge our FIN (ACK 1001).
  deliver(kPeerIss + 1, kIss + 1, TcpFlags::fin | TcpFlags::ack);
  EXPECT_EQ(conn().state(), TcpState::closing);
  EXPECT_EQ(take_one().ack, kPeerIss + 2);
  deliver(kPeerIss + 2, kIss + 2);
  EXPECT_EQ(conn().state(), TcpState::time_wait);
}

TEST_F(TcpConnectionClose, PassiveCloseThroughCloseWaitAndLastAck) {
  deliver(kPeerIss + 1, kIss + 1, TcpFlags::fin | TcpFlags::ack);
  EXPECT_EQ(conn().state(), TcpState::close_wait);
  EXPECT_EQ(take_one().ack, kPeerIss + 2);
  EXPECT_TRUE(conn().peer_closed());
  std::vector<std::byte> buffer(10);
  EXPECT_EQ(conn().receive(buffer, false, now_).value_or(99), 0U);  // end of stream
  EXPECT_EQ(write(10), 10U);                                        // CLOSE-WAIT may still send
  EXPECT_EQ(take_one().len(), 10U);
  conn().close(now_);
  EXPECT_EQ(conn().state(), TcpState::last_ack);
  const Sent fin = take_one();
  EXPECT_TRUE(fin.has(TcpFlags::fin));
  EXPECT_EQ(fin.seq, kIss + 11);
  deliver(kPeerIss + 2, kIss + 12);
  EXPECT_EQ(conn().state(), TcpState::closed);
  EXPECT_FALSE(conn().error().has_value());
  EXPECT_EQ(conn().next_deadline(), kNever);
}

TEST_F(TcpConnectionClose, CloseWithUnreadDataResets) {
  deliver(kPeerIss + 1, kIss + 1, TcpFlags::ack, 100);
  take();
  conn().close(now_);
  const Sent rst = take_one();
  EXPECT_TRUE(rst.is(TcpFlags::rst | TcpFlags::ack));
  EXPECT_EQ(rst.seq, kIss + 1);
  EXPECT_EQ(conn().state(), TcpState::closed);
  EXPECT_EQ(count(Counter::tcp_tx_reset_on_close), 1U);
}

TEST_F(TcpConnectionClose, AbortResets) {
  write(100);
  take();
  conn().abort(now_);
  const Sent rst = take_one();
  EXPECT_TRUE(rst.is(TcpFlags::rst | TcpFlags::ack));
  EXPECT_EQ(rst.seq, kIss + 101);  // SND.NXT
  EXPECT_EQ(conn().state(), TcpState::closed);
  EXPECT_EQ(conn().next_deadline(), kNever);
}

TEST_F(TcpConnectionClose, FinRetransmittedOnTimeout) {
  conn().close(now_);
  take();
  fire_next();
  const Sent fin = take_one();
  EXPECT_TRUE(fin.has(TcpFlags::fin));
  EXPECT_EQ(fin.seq, kIss + 1);
  deliver(kPeerIss + 1, kIss + 2);
  EXPECT_EQ(conn().state(), TcpState::fin_wait_2);
}

TEST_F(TcpConnectionClose, FinWithDataGoesToCloseWait) {
  deliver(kPeerIss + 1, kIss + 1, TcpFlags::fin | TcpFlags::ack, 100);
  EXPECT_EQ(conn().state(), TcpState::close_wait);
  EXPECT_EQ(take_one().ack, kPeerIss + 102);  // 100 bytes + the FIN
  EXPECT_EQ(read(1000), 100U);
  EXPECT_EQ(read(1000), 0U);  // then end of stream
}

TEST_F(TcpConnectionClose, FinBeyondAHoleWaitsForTheData) {
  deliver(kPeerIss + 101, kIss + 1, TcpFlags::fin | TcpFlags::ack, 100);
  EXPECT_EQ(conn().state(), TcpState::established);
  EXPECT_EQ(take_one().ack, kPeerIss + 1);
  EXPECT_FALSE(conn().peer_closed());
  deliver(kPeerIss + 1, kIss + 1, TcpFlags::ack, 100);  // fills the hole: the FIN counts now
  EXPECT_EQ(conn().state(), TcpState::close_wait);
  EXPECT_EQ(take_one().ack, kPeerIss + 202);
}

TEST_F(TcpConnectionClose, LastAckFinRetransmittedThenAcked) {
  deliver(kPeerIss + 1, kIss + 1, TcpFlags::fin | TcpFlags::ack);
  take();
  conn().close(now_);
  ASSERT_EQ(conn().state(), TcpState::last_ack);
  take();
  fire_next();
  const Sent fin = take_one();
  EXPECT_TRUE(fin.is(TcpFlags::fin | TcpFlags::ack));
  EXPECT_EQ(fin.seq, kIss + 1);
  deliver(kPeerIss + 2, kIss + 2);
  EXPECT_EQ(conn().state(), TcpState::closed);
}

TEST_F(TcpConnectionClose, OrphanedFinWait2TimesOut) {
  settings_.fin_timeout = 30s;
  conn().close(now_);
  take();
  deliver(kPeerIss + 1, kIss + 2);
  ASSERT_EQ(conn().state(), TcpState::fin_wait_2);
  // Linux tcp_fin_timeout: after close() the peer gets fin_timeout to send its FIN.
  EXPECT_EQ(conn().next_deadline(), now_ + 30s);
  advance(30s);
  EXPECT_EQ(conn().state(), TcpState::closed);
}

TEST_F(TcpConnectionClose, HalfClosedFinWait2WaitsForThePeer) {
  conn().shutdown_send(now_);
  take();
  deliver(kPeerIss + 1, kIss + 2);
  ASSERT_EQ(conn().state(), TcpState::fin_wait_2);
  EXPECT_EQ(conn().next_deadline(), kNever);  // the application may still read
  conn().close(now_);                         // ... until it closes
  EXPECT_EQ(conn().next_deadline(), now_ + 60s);
}

TEST_F(TcpConnectionClose, DataAfterCloseResets) {
  conn().close(now_);
  take();
  deliver(kPeerIss + 1, kIss + 2);
  deliver(kPeerIss + 1, kIss + 2, TcpFlags::ack, 100);  // nobody will read this
  const Sent rst = take_one();
  EXPECT_TRUE(rst.has(TcpFlags::rst));
  EXPECT_EQ(rst.seq, kIss + 2);
  EXPECT_EQ(conn().state(), TcpState::closed);
}

TEST_F(TcpConnectionClose, TimeWaitReuseWithTimestamps) {
  peer_tsval_ = 800000;
  close_to_time_wait();  // TS.Recent = 800000
  const auto syn = [&](std::uint32_t seq, std::uint32_t tsval) {
    wire::TcpOptions o = full_syn_options();
    o.timestamps = wire::TcpTimestamps{tsval, 0};
    return SegmentIn{SeqNum{seq}, SeqNum{}, TcpFlags::syn, 65535, o, {}};
  };
  // RFC 6191 §2: a newer TSval is a new incarnation, whatever its sequence number.
  EXPECT_TRUE(conn().may_reuse_for(syn(kPeerIss - 100000, 800001)));
  EXPECT_FALSE(conn().may_reuse_for(syn(kPeerIss + 100000, 799999)));
  // An equal TSval falls back to the sequence number (RCV.NXT is 5002).
  EXPECT_TRUE(conn().may_reuse_for(syn(kPeerIss + 3, 800000)));
  EXPECT_FALSE(conn().may_reuse_for(syn(kPeerIss + 2, 800000)));
}

TEST_F(TcpConnectionClose, TimeWaitReuseWithoutTimestamps) {
  establish_plain();
  conn().close(now_);
  deliver(kPeerIss + 1, kIss + 2, TcpFlags::fin | TcpFlags::ack);
  ASSERT_EQ(conn().state(), TcpState::time_wait);
  // RFC 1122 §4.2.2.13: only a SYN above the old RCV.NXT (5002).
  const SegmentIn above{SeqNum{kPeerIss + 3}, SeqNum{}, TcpFlags::syn, 65535, {}, {}};
  const SegmentIn equal{SeqNum{kPeerIss + 2}, SeqNum{}, TcpFlags::syn, 65535, {}, {}};
  EXPECT_TRUE(conn().may_reuse_for(above));
  EXPECT_FALSE(conn().may_reuse_for(equal));
  establish_plain();
  EXPECT_FALSE(conn().may_reuse_for(above));  // not in TIME-WAIT
}

}  // namespace
}  // namespace tapstack::tcp_test
