// Loss recovery: limited transmit (RFC 3042), fast retransmit and NewReno partial ACKs
// (RFC 5681 §3.2, RFC 6582), SACK-based recovery (RFC 6675). NewReno congestion control and
// SMSS 1000 keep the numbers round: IW = min(10 * 1000, max(2000, 14600)) = 10000.
#include "tests/unit/stack/tcp/connection_harness.hpp"

namespace tapstack::tcp_test {
namespace {

class TcpConnectionRecovery : public ConnectionTest {
 protected:
  void SetUp() override { settings_.congestion = CongestionAlgorithm::newreno; }

  // A duplicate ACK (ACK 1001) with the given SACK blocks.
  void dupack(std::initializer_list<std::pair<std::uint32_t, std::uint32_t>> blocks = {}) {
    Peer p = peer(kPeerIss + 1, kIss + 1);
    for (const auto& [left, right] : blocks) {
      p.options.sack_blocks[p.options.sack_count++] = wire::SackBlock{SeqNum{left}, SeqNum{right}};
    }
    deliver(p);
  }
  // Sends 10 full segments 1001..11001 (the initial window) with more data queued.
  void fill_window(std::size_t bytes) {
    write(bytes);
    const auto sent = take();
    ASSERT_EQ(sent.size(), 10U);
    ASSERT_EQ(sent.back().seq, kIss + 9001);
  }
};

TEST_F(TcpConnectionRecovery, NewRenoFastRetransmitAndPartialAck) {
  establish_plain();
  fill_window(14000);  // data up to 15001
  // RFC 3042: the first two duplicate ACKs each send one new segment beyond cwnd.
  dupack();
  EXPECT_EQ(take_one().seq, 11001U);
  dupack();
  EXPECT_EQ(take_one().seq, 12001U);
  // The third: fast retransmit of SND.UNA (RFC 5681 §3.2); ssthresh = cwnd = FlightSize / 2 =
  // (13001 - 1001) / 2 = 6000.
  dupack();
  Sent resent = take_one();
  EXPECT_EQ(resent.seq, 1001U);
  EXPECT_EQ(resent.len(), 1000U);
  EXPECT_EQ(conn().info().cwnd, 6000U);
  EXPECT_EQ(conn().info().ssthresh, 6000U);
  EXPECT_EQ(count(Counter::tcp_fast_retransmits), 1U);
  // pipe = 12000 - dupacks * 1000 + 1000 resent; new data goes when pipe + SMSS <= 6000, that
  // is at the 8th duplicate ACK (12000 - 8000 + 1000 = 5000).
  for (int i = 4; i <= 7; ++i) {
    dupack();
    expect_silent();
  }
  dupack();
  EXPECT_EQ(take_one().seq, 13001U);
  // Partial ACK (the segment at 5001 was lost too): RFC 6582 §3.2 step 4 resends it at once.
  deliver(kPeerIss + 1, 5001);
  resent = take_one();
  EXPECT_EQ(resent.seq, 5001U);
  EXPECT_EQ(resent.len(), 1000U);
  // Full ACK of the recovery point 13001 and beyond: recovery ends with cwnd = ssthresh.
  deliver(kPeerIss + 1, 14001);
  EXPECT_EQ(conn().info().cwnd, 6000U);
  const Sent last = take_one();  // the rest of the data, 14001..15001
  EXPECT_EQ(last.seq, 14001U);
  EXPECT_EQ(conn().info().retransmits, 2U);
}

TEST_F(TcpConnectionRecovery, SackRecoveryRetransmitsTheHoles) {
  peer_ts_ = false;
  wire::TcpOptions o;
  o.mss = 1000;
  o.sack_permitted = true;
  establish_active(o);
  fill_window(16000);
  // Segments 1001 and 3001 are lost; the others arrive and are SACKed.
  dupack({{2001, 3001}});
  EXPECT_EQ(take_one().seq, 11001U);  // limited transmit
  dupack({{4001, 5001}, {2001, 3001}});
  EXPECT_EQ(take_one().seq, 12001U);
  dupack({{4001, 6001}, {2001, 3001}});
  Sent resent = take_one();  // RFC 6675 §5 step 4.3: retransmit the first segment
  EXPECT_EQ(resent.seq, 1001U);
  EXPECT_EQ(conn().info().cwnd, 6000U);  // (13001 - 1001) / 2
  // RFC 6675 §4 SetPipe: unSACKed bytes not lost, plus retransmitted ones. With 4001..7001
  // SACKed, 3001 is lost (3000 bytes SACKed above it > 2 * SMSS):
  // pipe = 1000 (the resent 1001) + 0 (3001, lost) + 6000 (7001..13001) = 7000.
  dupack({{4001, 7001}, {2001, 3001}});
  expect_silent();
  dupack({{4001, 8001}, {2001, 3001}});  // pipe 6000: still no room under cwnd 6000
  expect_silent();
  dupack({{4001, 9001}, {2001, 3001}});  // pipe 5000: NextSeg() is the hole at 3001
  resent = take_one();
  EXPECT_EQ(resent.seq, 3001U);
  EXPECT_EQ(resent.len(), 1000U);
  // Everything through the recovery point is acknowledged: recovery ends, cwnd = ssthresh.
  deliver(kPeerIss + 1, 13001);
  EXPECT_EQ(conn().info().cwnd, 6000U);
  EXPECT_EQ(take().front().seq, 13001U);  // new data flows again
}

TEST_F(TcpConnectionRecovery, TimeoutDuringRecoveryGoesBackToSndUna) {
  peer_ts_ = false;
  wire::TcpOptions o;
  o.mss = 1000;
  o.sack_permitted = true;
  establish_active(o);
  fill_window(12000);
  dupack({{2001, 3001}});
  dupack({{2001, 4001}});
  dupack({{2001, 5001}});  // recovery: 1001 retransmitted, cwnd 6000
  take();
  // The retransmission is lost too: RFC 6298 §5.4 resends SND.UNA; RFC 5681 §3.1: cwnd = 1
  // SMSS; RFC 6675 §5.1: the SACK scoreboard is forgotten (the receiver may renege).
  fire_next();
  const Sent resent = take_one();
  EXPECT_EQ(resent.seq, 1001U);
  EXPECT_EQ(resent.len(), 1000U);
  EXPECT_EQ(conn().info().cwnd, 1000U);
  // A duplicate ACK now must not start a new recovery (RFC 6675 §5.1: not before
  // RecoveryPoint = 13001 is acknowledged): no second copy of 1001, no second cwnd cut.
  // Limited transmit (RFC 3042) lets the go-back-N resend continue at 2001.
  dupack({{2001, 5001}});
  const Sent limited = take_one();
  EXPECT_EQ(limited.seq, 2001U);
  EXPECT_EQ(count(Counter::tcp_fast_retransmits), 1U);
  EXPECT_EQ(conn().info().cwnd, 1000U);
  // The ACK of 1001: slow start (ssthresh 6000 held) to cwnd 2000; 2001 is in flight, so one
  // more segment goes: 3001.
  deliver(peer(kPeerIss + 1, 2001));
  EXPECT_EQ(conn().info().cwnd, 2000U);
  EXPECT_EQ(take_one().seq, 3001U);
}

}  // namespace
}  // namespace tapstack::tcp_test
