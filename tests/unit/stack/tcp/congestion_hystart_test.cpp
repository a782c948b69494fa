// HyStart++ (RFC 9406) on its own and inside CUBIC's initial slow start. Rounds are built so
// that round r's ACKs acknowledge up to r*8000 + j*1000 + 1 (j = 0..7) while SND.NXT is
// (r+1)*8000: the first ACK of each round passes the previous round's window_end.
#include <gtest/gtest.h>

#include <vector>

#include "stack/tcp/congestion/cubic.hpp"
#include "stack/tcp/congestion/hystart.hpp"

namespace tapstack {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

constexpr std::uint32_t kRoundBytes = 8000;

AckSample ack_in_round(std::uint32_t round, std::uint32_t j, std::optional<Duration> rtt) {
  AckSample ack;
  ack.now = at(milliseconds(100 * round + j));
  ack.acked_bytes = 1000;
  ack.rtt = rtt;
  ack.ack = SeqNum{round * kRoundBytes + j * 1000 + 1};
  ack.snd_nxt = SeqNum{(round + 1) * kRoundBytes};
  return ack;
}

// Feeds one round of 8 ACKs with the same RTT; returns the growth of each ACK.
std::vector<HyStart::Growth> feed_round(HyStart& hystart, std::uint32_t round, Duration rtt) {
  std::vector<HyStart::Growth> growth;
  for (std::uint32_t j = 0; j < 8; ++j)
    growth.push_back(hystart.on_ack(ack_in_round(round, j, rtt)));
  return growth;
}

TEST(HyStart, FlatRttStaysInSlowStart) {
  HyStart hystart;
  for (std::uint32_t round = 0; round < 20; ++round) {
    for (const auto growth : feed_round(hystart, round, milliseconds(100))) {
      EXPECT_EQ(growth, HyStart::Growth::standard);
    }
  }
  EXPECT_EQ(hystart.phase(), HyStartPhase::slow_start);
}

TEST(HyStart, RttRiseByThresholdEntersConservativeSlowStart) {
  HyStart hystart;
  feed_round(hystart, 0, milliseconds(100));
  // RttThresh = clamp(100 / 8, 4, 16) = 12.5 ms: 112.5 ms is the first RTT that counts.
  std::vector<HyStart::Growth> growth = feed_round(hystart, 1, microseconds(112'500));
  EXPECT_EQ(growth.back(), HyStart::Growth::standard);  // the 8th sample decides, for later ACKs
  EXPECT_EQ(hystart.phase(), HyStartPhase::conservative_slow_start);
  EXPECT_EQ(hystart.css_baseline_min_rtt(), microseconds(112'500));
  EXPECT_EQ(hystart.on_ack(ack_in_round(2, 0, milliseconds(113))), HyStart::Growth::conservative);
}

TEST(HyStart, RttRiseBelowThresholdIsIgnored) {
  HyStart hystart;
  feed_round(hystart, 0, milliseconds(100));
  feed_round(hystart, 1, microseconds(112'499));
  EXPECT_EQ(hystart.phase(), HyStartPhase::slow_start);
}

TEST(HyStart, ThresholdIsClampedBetweenFourAndSixteenMilliseconds) {
  HyStart low;  // 20 ms / 8 = 2.5 ms, raised to MIN_RTT_THRESH = 4 ms
  feed_round(low, 0, milliseconds(20));
  feed_round(low, 1, microseconds(23'999));
  EXPECT_EQ(low.phase(), HyStartPhase::slow_start);
  feed_round(low, 2, milliseconds(28));  // last round's minimum is now 23.999: needs 27.999
  EXPECT_EQ(low.phase(), HyStartPhase::conservative_slow_start);

  HyStart high;  // 200 ms / 8 = 25 ms, lowered to MAX_RTT_THRESH = 16 ms
  feed_round(high, 0, milliseconds(200));
  feed_round(high, 1, milliseconds(216));
  EXPECT_EQ(high.phase(), HyStartPhase::conservative_slow_start);
}

TEST(HyStart, NeedsEightSamplesPerRound) {
  HyStart hystart;
  feed_round(hystart, 0, milliseconds(100));
  for (std::uint32_t j = 0; j < 7; ++j) hystart.on_ack(ack_in_round(1, j, milliseconds(200)));
  EXPECT_EQ(hystart.phase(), HyStartPhase::slow_start);
  hystart.on_ack(ack_in_round(1, 7, std::nullopt));  // an ACK without an RTT sample
  EXPECT_EQ(hystart.phase(), HyStartPhase::slow_start);
  hystart.on_ack(ack_in_round(1, 7, milliseconds(200)));
  EXPECT_EQ(hystart.phase(), HyStartPhase::conservative_slow_start);
}

TEST(HyStart, RttBelowBaselineResumesSlowStart) {
  HyStart hystart;
  feed_round(hystart, 0, milliseconds(100));
  feed_round(hystart, 1, milliseconds(120));
  ASSERT_EQ(hystart.phase(), HyStartPhase::conservative_slow_start);
  // The RTT spike was jitter: the next round's minimum is below the 120 ms baseline.
  feed_round(hystart, 2, milliseconds(119));
  EXPECT_EQ(hystart.phase(), HyStartPhase::slow_start);
  EXPECT_FALSE(hystart.css_baseline_min_rtt());
}

TEST(HyStart, LeavesSlowStartAfterCssRounds) {
  HyStart hystart;
  feed_round(hystart, 0, milliseconds(100));
  feed_round(hystart, 1, milliseconds(120));  // CSS begins; this round counts as the first
  for (std::uint32_t round = 2; round < 6; ++round) {
    for (const auto growth : feed_round(hystart, round, milliseconds(120))) {
      EXPECT_EQ(growth, HyStart::Growth::conservative);
    }
  }
  EXPECT_EQ(hystart.on_ack(ack_in_round(6, 0, milliseconds(120))),
            HyStart::Growth::leave_slow_start);
  EXPECT_EQ(hystart.phase(), HyStartPhase::done);
  EXPECT_FALSE(hystart.active());
}

// The same rounds through CUBIC with SMSS 1000: each ACK of 1000 bytes grows cwnd by 1000 in
// slow start and by 1000 / CSS_GROWTH_DIVISOR = 250 in CSS.
TEST(HyStart, CubicLeavesSlowStartWhenRttRises) {
  Cubic cubic(1000, at(milliseconds(0)));
  for (std::uint32_t j = 0; j < 8; ++j) cubic.on_ack(ack_in_round(0, j, milliseconds(100)));
  EXPECT_EQ(cubic.cwnd(), 18000u);
  for (std::uint32_t j = 0; j < 8; ++j) cubic.on_ack(ack_in_round(1, j, milliseconds(113)));
  EXPECT_EQ(cubic.cwnd(), 26000u);
  EXPECT_EQ(cubic.info().hystart, HyStartPhase::conservative_slow_start);
  for (std::uint32_t round = 2; round < 6; ++round) {
    for (std::uint32_t j = 0; j < 8; ++j) cubic.on_ack(ack_in_round(round, j, milliseconds(113)));
  }
  EXPECT_EQ(cubic.cwnd(), 34000u);  // 26000 + 4 rounds * 8 * 250
  EXPECT_TRUE(cubic.in_slow_start());
  cubic.on_ack(ack_in_round(6, 0, milliseconds(113)));
  // RFC 9406 §4.2: congestion avoidance with ssthresh = cwnd.
  EXPECT_EQ(cubic.ssthresh(), 34000u);
  EXPECT_EQ(cubic.cwnd(), 34000u);
  EXPECT_FALSE(cubic.in_slow_start());
  // RFC 9438 §4.10: no loss yet, so the first epoch has W_max = cwnd and K = 0.
  cubic.on_ack(ack_in_round(6, 1, milliseconds(113)));
  EXPECT_EQ(cubic.info().w_max, 34.0);
  EXPECT_EQ(cubic.info().k, 0.0);
}

TEST(HyStart, CubicKeepsSlowStartWhileRttIsFlat) {
  Cubic cubic(1000, at(milliseconds(0)));
  for (std::uint32_t round = 0; round < 10; ++round) {
    for (std::uint32_t j = 0; j < 8; ++j) cubic.on_ack(ack_in_round(round, j, milliseconds(100)));
  }
  EXPECT_EQ(cubic.cwnd(), 90000u);  // 10000 + 80 ACKs * 1000
  EXPECT_TRUE(cubic.in_slow_start());
  EXPECT_EQ(cubic.info().hystart, HyStartPhase::slow_start);
}

TEST(HyStart, StopsAtTheFirstLoss) {
  Cubic cubic(1000, at(milliseconds(0)));
  cubic.on_congestion_event(at(milliseconds(50)), 10000);
  EXPECT_EQ(cubic.info().hystart, HyStartPhase::done);
}

}  // namespace
}  // namespace tapstack
