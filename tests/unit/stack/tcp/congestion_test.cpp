// NewReno (RFC 5681, RFC 3465, RFC 6928, RFC 6582) and the CongestionController dispatch.
// SMSS is 1000 bytes in most tests so that the numbers are easy to check by hand.
#include <gtest/gtest.h>

#include "stack/tcp/congestion/congestion_control.hpp"
#include "stack/tcp/congestion/window_rules.hpp"

namespace tapstack {
namespace {

using std::chrono::milliseconds;

constexpr std::uint32_t kSmss = 1000;

AckSample ack_of(std::uint32_t bytes, Instant now = at(milliseconds(100))) {
  AckSample ack;
  ack.now = now;
  ack.acked_bytes = bytes;
  ack.rtt = milliseconds(100);
  return ack;
}

TEST(CongestionAlgorithmNames, ParseAndPrint) {
  EXPECT_EQ(parse_congestion_algorithm("newreno"), CongestionAlgorithm::newreno);
  EXPECT_EQ(parse_congestion_algorithm("reno"), CongestionAlgorithm::newreno);
  EXPECT_EQ(parse_congestion_algorithm("cubic"), CongestionAlgorithm::cubic);
  EXPECT_FALSE(parse_congestion_algorithm("bbr"));
  EXPECT_FALSE(parse_congestion_algorithm("Cubic"));
  EXPECT_FALSE(parse_congestion_algorithm(""));
  EXPECT_EQ(to_string(CongestionAlgorithm::newreno), "newreno");
  EXPECT_EQ(to_string(CongestionAlgorithm::cubic), "cubic");
}

TEST(InitialWindow, Rfc6928) {
  // IW = min(10*MSS, max(2*MSS, 14600)).
  EXPECT_EQ(initial_window(1460), 14600u);  // min(14600, 14600)
  EXPECT_EQ(initial_window(536), 5360u);    // min(5360, 14600)
  EXPECT_EQ(initial_window(4000), 14600u);  // min(40000, 14600)
  EXPECT_EQ(initial_window(9000), 18000u);  // min(90000, 18000)
}

TEST(NewReno, StartsWithInitialWindowAndHighSsthresh) {
  const CongestionController cc(CongestionAlgorithm::newreno, 1460, at(milliseconds(0)));
  EXPECT_EQ(cc.algorithm(), CongestionAlgorithm::newreno);
  EXPECT_EQ(cc.name(), "newreno");
  EXPECT_EQ(cc.cwnd(), 14600u);
  EXPECT_EQ(cc.ssthresh(), 0x7fff'ffffu);  // RFC 5681: "arbitrarily high"
  EXPECT_TRUE(cc.in_slow_start());
  EXPECT_FALSE(cc.cubic_info());
}

TEST(NewReno, SetSmssRecomputesUntouchedInitialWindow) {
  CongestionController cc(CongestionAlgorithm::newreno, 536, at(milliseconds(0)));
  EXPECT_EQ(cc.cwnd(), 5360u);
  cc.set_smss(1460);
  EXPECT_EQ(cc.cwnd(), 14600u);
  cc.on_ack(ack_of(1460));  // slow start: + 1460
  EXPECT_EQ(cc.cwnd(), 16060u);
  cc.set_smss(1000);  // cwnd has moved: only SMSS changes
  EXPECT_EQ(cc.cwnd(), 16060u);
  cc.on_ack(ack_of(5000));  // + min(5000, 2*1000)
  EXPECT_EQ(cc.cwnd(), 18060u);
}

TEST(NewReno, SlowStartDoublesPerRoundTrip) {
  CongestionController cc(CongestionAlgorithm::newreno, kSmss, at(milliseconds(0)));
  ASSERT_EQ(cc.cwnd(), 10000u);
  // Round 1: the 10 segments of the IW, acked two at a time (delayed ACKs): 5 ACKs * 2000.
  for (int i = 0; i < 5; ++i) cc.on_ack(ack_of(2000));
  EXPECT_EQ(cc.cwnd(), 20000u);
  // Round 2: 20 segments, 10 ACKs.
  for (int i = 0; i < 10; ++i) cc.on_ack(ack_of(2000));
  EXPECT_EQ(cc.cwnd(), 40000u);
}

TEST(NewReno, SlowStartByteCountingLimitIsTwoSegments) {
  CongestionController cc(CongestionAlgorithm::newreno, kSmss, at(milliseconds(0)));
  cc.on_ack(ack_of(10000));  // a stretch ACK of 10 segments: RFC 3465 L = 2*SMSS
  EXPECT_EQ(cc.cwnd(), 12000u);
  cc.on_ack(ack_of(500));  // a partial segment counts its bytes
  EXPECT_EQ(cc.cwnd(), 12500u);
}

// Drives cwnd to 20000 in slow start, then a loss with 20000 in flight: ssthresh = cwnd = 10000.
CongestionController newreno_in_congestion_avoidance() {
  CongestionController cc(CongestionAlgorithm::newreno, kSmss, at(milliseconds(0)));
  for (int i = 0; i < 5; ++i) cc.on_ack(ack_of(2000));
  cc.on_congestion_event(at(milliseconds(300)), 20000);
  cc.on_recovery_exit(at(milliseconds(400)));
  return cc;
}

TEST(NewReno, CongestionEventHalvesFlight) {
  const CongestionController cc = newreno_in_congestion_avoidance();
  // RFC 5681 eq. 4: ssthresh = max(20000/2, 2*1000); cwnd = ssthresh (no 3*SMSS inflation).
  EXPECT_EQ(cc.ssthresh(), 10000u);
  EXPECT_EQ(cc.cwnd(), 10000u);
  EXPECT_FALSE(cc.in_slow_start());
}

TEST(NewReno, CongestionEventFloorIsTwoSegments) {
  CongestionController cc(CongestionAlgorithm::newreno, kSmss, at(milliseconds(0)));
  cc.on_congestion_event(at(milliseconds(100)), 3000);  // max(1500, 2000)
  EXPECT_EQ(cc.ssthresh(), 2000u);
  EXPECT_EQ(cc.cwnd(), 2000u);
}

TEST(NewReno, CongestionAvoidanceAddsOneSegmentPerWindowOfAckedBytes) {
  CongestionController cc = newreno_in_congestion_avoidance();
  // RFC 3465 §2.1: cwnd grows by SMSS once bytes_acked reaches cwnd (10000).
  for (int i = 0; i < 9; ++i) cc.on_ack(ack_of(1000));
  EXPECT_EQ(cc.cwnd(), 10000u);
  cc.on_ack(ack_of(1000));
  EXPECT_EQ(cc.cwnd(), 11000u);
  // The next increase takes 11000 bytes.
  for (int i = 0; i < 10; ++i) cc.on_ack(ack_of(1000));
  EXPECT_EQ(cc.cwnd(), 11000u);
  cc.on_ack(ack_of(1000));
  EXPECT_EQ(cc.cwnd(), 12000u);
  // Bytes beyond a full window carry over: of a 12500-byte ACK, 12000 grow cwnd to 13000 and
  // 500 remain, so 12500 more bytes (not 13000) bring the next increase.
  cc.on_ack(ack_of(12500));
  EXPECT_EQ(cc.cwnd(), 13000u);
  cc.on_ack(ack_of(12499));
  EXPECT_EQ(cc.cwnd(), 13000u);
  cc.on_ack(ack_of(1));
  EXPECT_EQ(cc.cwnd(), 14000u);
}

TEST(NewReno, AppLimitedAcksDoNotGrowWindow) {
  CongestionController cc(CongestionAlgorithm::newreno, kSmss, at(milliseconds(0)));
  AckSample ack = ack_of(2000);
  ack.app_limited = true;
  cc.on_ack(ack);
  EXPECT_EQ(cc.cwnd(), 10000u);  // slow start
  CongestionController ca = newreno_in_congestion_avoidance();
  for (int i = 0; i < 20; ++i) ca.on_ack(ack);
  EXPECT_EQ(ca.cwnd(), 10000u);  // congestion avoidance; nothing counted either
  ca.on_ack(ack_of(9999));
  EXPECT_EQ(ca.cwnd(), 10000u);
}

TEST(NewReno, RtoCollapsesToLossWindow) {
  CongestionController cc(CongestionAlgorithm::newreno, kSmss, at(milliseconds(0)));
  for (int i = 0; i < 5; ++i) cc.on_ack(ack_of(2000));  // cwnd 20000
  cc.on_rto(at(milliseconds(1000)), 16000);
  EXPECT_EQ(cc.ssthresh(), 8000u);  // max(16000/2, 2000)
  EXPECT_EQ(cc.cwnd(), 1000u);      // LW = 1 SMSS
  EXPECT_TRUE(cc.in_slow_start());
  // Slow start again, stopping at ssthresh.
  for (int i = 0; i < 3; ++i) cc.on_ack(ack_of(2000));
  EXPECT_EQ(cc.cwnd(), 7000u);
  cc.on_ack(ack_of(2000));
  EXPECT_EQ(cc.cwnd(), 8000u);
  EXPECT_FALSE(cc.in_slow_start());
}

TEST(NewReno, RepeatedRtoHoldsSsthresh) {
  CongestionController cc(CongestionAlgorithm::newreno, kSmss, at(milliseconds(0)));
  cc.on_rto(at(milliseconds(1000)), 10000);
  EXPECT_EQ(cc.ssthresh(), 5000u);
  // RFC 5681 §3.1: the retransmitted segment timed out again: ssthresh held (not 2000).
  cc.on_rto(at(milliseconds(3000)), 1000);
  EXPECT_EQ(cc.ssthresh(), 5000u);
  EXPECT_EQ(cc.cwnd(), 1000u);
  // New data acknowledged ends the episode; the next timeout reduces again.
  cc.on_ack(ack_of(1000));
  cc.on_rto(at(milliseconds(5000)), 4000);
  EXPECT_EQ(cc.ssthresh(), 2000u);
}

TEST(NewReno, RtoDuringRecoveryKeepsReducedSsthresh) {
  CongestionController cc(CongestionAlgorithm::newreno, kSmss, at(milliseconds(0)));
  for (int i = 0; i < 5; ++i) cc.on_ack(ack_of(2000));
  cc.on_congestion_event(at(milliseconds(300)), 20000);
  EXPECT_EQ(cc.ssthresh(), 10000u);
  cc.on_rto(at(milliseconds(1300)), 12000);  // would be 6000 if reduced again
  EXPECT_EQ(cc.ssthresh(), 10000u);
  EXPECT_EQ(cc.cwnd(), 1000u);
}

}  // namespace
}  // namespace tapstack
