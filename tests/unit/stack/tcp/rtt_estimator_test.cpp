// RFC 6298 RTO estimation, with hand-computed numbers.
#include "stack/tcp/rtt_estimator.hpp"

#include <gtest/gtest.h>

namespace tapstack {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(RttEstimator, InitialRtoBeforeAnySample) {
  const RttEstimator rtt(RtoSettings{});
  EXPECT_EQ(rtt.rto(), seconds(1));  // RFC 6298 §2.1
  EXPECT_FALSE(rtt.srtt());
  EXPECT_FALSE(rtt.min_rtt());
  EXPECT_EQ(rtt.rttvar(), Duration::zero());
  EXPECT_EQ(rtt.latest(), Duration::zero());
  EXPECT_EQ(rtt.backoff_count(), 0u);
}

TEST(RttEstimator, FirstSampleSetsSrttAndHalfVariance) {
  RttEstimator rtt(RtoSettings{});
  rtt.sample(milliseconds(100));
  // RFC 6298 §2.2: SRTT = 100, RTTVAR = 50, RTO = 100 + 4*50 = 300 ms.
  EXPECT_EQ(rtt.srtt(), milliseconds(100));
  EXPECT_EQ(rtt.rttvar(), milliseconds(50));
  EXPECT_EQ(rtt.rto(), milliseconds(300));
  EXPECT_EQ(rtt.latest(), milliseconds(100));
  EXPECT_EQ(rtt.min_rtt(), milliseconds(100));
}

TEST(RttEstimator, LaterSamplesUseAlphaAndBeta) {
  RttEstimator rtt(RtoSettings{});
  rtt.sample(milliseconds(100));
  rtt.sample(milliseconds(200));
  // RFC 6298 §2.3, RTTVAR from the old SRTT first:
  // RTTVAR = 3/4*50 + 1/4*|100-200| = 62.5; SRTT = 7/8*100 + 1/8*200 = 112.5;
  // RTO = 112.5 + 4*62.5 = 362.5 ms.
  EXPECT_EQ(rtt.rttvar(), std::chrono::microseconds(62'500));
  EXPECT_EQ(rtt.srtt(), std::chrono::microseconds(112'500));
  EXPECT_EQ(rtt.rto(), std::chrono::microseconds(362'500));
  rtt.sample(milliseconds(100));
  // RTTVAR = 3/4*62.5 + 1/4*12.5 = 50; SRTT = 7/8*112.5 + 1/8*100 = 110.9375;
  // RTO = 110.9375 + 200 = 310.9375 ms.
  EXPECT_EQ(rtt.rttvar(), milliseconds(50));
  EXPECT_EQ(rtt.srtt(), std::chrono::nanoseconds(110'937'500));
  EXPECT_EQ(rtt.rto(), std::chrono::nanoseconds(310'937'500));
  EXPECT_EQ(rtt.latest(), milliseconds(100));
  EXPECT_EQ(rtt.min_rtt(), milliseconds(100));
}

TEST(RttEstimator, MinRttTracksSmallestSample) {
  RttEstimator rtt(RtoSettings{});
  rtt.sample(milliseconds(40));
  rtt.sample(milliseconds(25));
  rtt.sample(milliseconds(60));
  EXPECT_EQ(rtt.min_rtt(), milliseconds(25));
  EXPECT_EQ(rtt.latest(), milliseconds(60));
}

TEST(RttEstimator, RtoClampedToMinimum) {
  RttEstimator rtt(RtoSettings{});
  rtt.sample(milliseconds(10));  // 10 + 4*5 = 30 ms, below the 200 ms floor (§2.4)
  EXPECT_EQ(rtt.rto(), milliseconds(200));
}

TEST(RttEstimator, RtoClampedToMaximum) {
  RttEstimator rtt(RtoSettings{});
  rtt.sample(seconds(100));  // 100 + 4*50 = 300 s, above the 120 s ceiling (§2.5)
  EXPECT_EQ(rtt.rto(), seconds(120));
}

TEST(RttEstimator, ClockGranularityBoundsVarianceTerm) {
  RtoSettings settings;
  settings.min = milliseconds(1);
  RttEstimator rtt(settings);
  rtt.sample(milliseconds(2));
  EXPECT_EQ(rtt.rto(), milliseconds(6));  // 2 + 4*1
  // A steady path: RTTVAR shrinks by 3/4 per sample; after 10, 4*RTTVAR = 4*0.056 ms < G,
  // so RTO = SRTT + G = 2 + 1 ms.
  for (int i = 0; i < 10; ++i) rtt.sample(milliseconds(2));
  EXPECT_LT(4 * rtt.rttvar(), milliseconds(1));
  EXPECT_EQ(rtt.rto(), milliseconds(3));
}

TEST(RttEstimator, BackoffDoublesAndCapsAtMax) {
  RttEstimator rtt(RtoSettings{});
  rtt.sample(milliseconds(100));  // base RTO 300 ms
  const Duration expected[] = {milliseconds(600),   milliseconds(1200),  milliseconds(2400),
                               milliseconds(4800),  milliseconds(9600),  milliseconds(19200),
                               milliseconds(38400), milliseconds(76800), seconds(120)};
  for (const Duration rto : expected) {
    rtt.backoff();
    EXPECT_EQ(rtt.rto(), rto);
  }
  EXPECT_EQ(rtt.backoff_count(), 9u);            // 300 ms * 2^9 = 153.6 s, capped at 120 s
  for (int i = 0; i < 1000; ++i) rtt.backoff();  // saturating, no overflow
  EXPECT_EQ(rtt.rto(), seconds(120));
  EXPECT_EQ(rtt.backoff_count(), 1009u);
}

TEST(RttEstimator, BackoffOfInitialRto) {
  RttEstimator rtt(RtoSettings{});
  rtt.backoff();
  rtt.backoff();
  EXPECT_EQ(rtt.rto(), seconds(4));  // RFC 6298 §5.5 from the 1 s initial RTO
}

TEST(RttEstimator, ValidSampleClearsBackoff) {
  RttEstimator rtt(RtoSettings{});
  rtt.sample(milliseconds(100));
  rtt.backoff();
  rtt.backoff();
  EXPECT_EQ(rtt.rto(), milliseconds(1200));
  rtt.sample(milliseconds(100));
  // RTTVAR = 3/4*50 + 0 = 37.5, SRTT = 100: RTO = 100 + 150 = 250 ms, no backoff.
  EXPECT_EQ(rtt.backoff_count(), 0u);
  EXPECT_EQ(rtt.rto(), milliseconds(250));
}

}  // namespace
}  // namespace tapstack
