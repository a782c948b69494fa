// CUBIC (RFC 9438): the window function, loss response, Reno-friendly region, fast
// convergence, RTO, application-limited ACKs. SMSS = 1000 bytes, so segments = bytes / 1000.
#include <gtest/gtest.h>

#include <cmath>

#include "stack/tcp/congestion/congestion_control.hpp"
#include "stack/tcp/congestion/cubic.hpp"

namespace tapstack {
namespace {

using std::chrono::milliseconds;

constexpr std::uint32_t kSmss = 1000;

AckSample ack_at(Instant now, std::uint32_t bytes, std::optional<Duration> rtt = std::nullopt) {
  AckSample ack;
  ack.now = now;
  ack.acked_bytes = bytes;
  ack.rtt = rtt;
  return ack;
}

// Slow start from the 10-segment IW to `segments`, 2 segments per ACK. Without RTT samples
// HyStart++ never sees a delay increase, so only the loss that follows ends slow start.
Cubic grown_to(std::uint32_t segments) {
  Cubic cubic(kSmss, at(milliseconds(0)));
  while (cubic.cwnd() < segments * kSmss) cubic.on_ack(ack_at(at(milliseconds(1)), 2 * kSmss));
  EXPECT_EQ(cubic.cwnd(), segments * kSmss);
  return cubic;
}

double seconds_between(Instant from, Instant to) {
  return std::chrono::duration<double>(to - from).count();
}

// A steady path in congestion avoidance: every round trip, one ACK per SMSS of the window at
// the round's start, spread evenly over the round.
struct SteadyPath {
  Cubic& cubic;
  Duration rtt;
  Instant next_round;
  Instant last_ack{};

  // Runs the rounds that start before `end`.
  void run_until(Instant end) {
    for (; next_round < end; next_round += rtt) {
      const std::uint32_t acks = cubic.cwnd() / kSmss;
      for (std::uint32_t i = 0; i < acks; ++i) {
        last_ack = next_round + rtt * i / acks;
        cubic.on_ack(ack_at(last_ack, kSmss, rtt));
      }
    }
  }
};

double cwnd_segments(const Cubic& cubic) {
  return cubic.cwnd() / double{kSmss};
}

TEST(CubicFormula, KAndWindowFunction) {
  // W_max = 100, cwnd_epoch = 0.7 * 100: K = cbrt(100 * 0.3 / 0.4) = cbrt(75) = 4.2171633 s.
  const double k = cubic_k(100, 70);
  EXPECT_NEAR(k, 4.2171633265, 1e-9);
  EXPECT_DOUBLE_EQ(cubic_window(k, k, 100), 100.0);       // W_cubic(K) = W_max
  EXPECT_NEAR(cubic_window(0, k, 100), 70.0, 1e-9);       // W_cubic(0) = cwnd_epoch
  EXPECT_NEAR(cubic_window(k + 2, k, 100), 103.2, 1e-9);  // 0.4 * 2^3 above W_max
  EXPECT_DOUBLE_EQ(cubic_k(50, 60), 0.0);                 // cwnd_epoch above W_max: no concave part
  EXPECT_NEAR(kCubicAlpha, 0.9 / 1.7, 1e-15);             // 3 * 0.3 / 1.7
}

TEST(Cubic, StartsWithInitialWindowAndSlowStart) {
  CongestionController cc(CongestionAlgorithm::cubic, kSmss, at(milliseconds(0)));
  EXPECT_EQ(cc.algorithm(), CongestionAlgorithm::cubic);
  EXPECT_EQ(cc.name(), "cubic");
  EXPECT_EQ(cc.cwnd(), 10000u);
  EXPECT_TRUE(cc.in_slow_start());
  for (int i = 0; i < 5; ++i) cc.on_ack(ack_at(at(milliseconds(100)), 2000));
  EXPECT_EQ(cc.cwnd(), 20000u);  // one round of delayed ACKs doubles cwnd
  cc.on_ack(ack_at(at(milliseconds(200)), 10000));
  EXPECT_EQ(cc.cwnd(), 28000u);  // RFC 9406 §4.3: L = 8 SMSS per ACK without pacing
  ASSERT_TRUE(cc.cubic_info());
  EXPECT_EQ(cc.cubic_info()->hystart, HyStartPhase::slow_start);
  EXPECT_FALSE(cc.cubic_info()->w_max);
}

TEST(Cubic, CongestionEventMultipliesByBeta) {
  Cubic cubic = grown_to(100);
  cubic.on_congestion_event(at(milliseconds(500)), 100000);
  // RFC 9438 §4.6: ssthresh = cwnd = 100000 * 0.7.
  EXPECT_EQ(cubic.ssthresh(), 70000u);
  EXPECT_EQ(cubic.cwnd(), 70000u);
  EXPECT_FALSE(cubic.in_slow_start());
  EXPECT_EQ(cubic.info().w_max, 100.0);
  EXPECT_EQ(cubic.info().hystart, HyStartPhase::done);
  cubic.on_recovery_exit(at(milliseconds(600)));
  EXPECT_EQ(cubic.cwnd(), 70000u);
  // The first ACK after recovery starts the epoch: K = cbrt((100 - 70) / 0.4).
  cubic.on_ack(ack_at(at(milliseconds(700)), kSmss, milliseconds(100)));
  EXPECT_EQ(cubic.info().epoch_start, at(milliseconds(700)));
  EXPECT_NEAR(cubic.info().k, std::cbrt(75.0), 1e-12);
}

TEST(Cubic, CongestionEventFloorIsTwoSegments) {
  Cubic cubic(kSmss, at(milliseconds(0)));
  cubic.on_rto(at(milliseconds(1000)), 10000);  // cwnd = 1 segment
  cubic.on_ack(ack_at(at(milliseconds(1100)), 2000));
  cubic.on_congestion_event(at(milliseconds(1200)), 3000);  // max(3000 * 0.7, 2000) = 2100
  EXPECT_EQ(cubic.ssthresh(), 2100u);
  cubic.on_congestion_event(at(milliseconds(1300)), 2100);  // max(1470, 2000)
  EXPECT_EQ(cubic.cwnd(), 2000u);
}

// After a loss at W_max = 100, a 200 ms path: the concave part approaches W_max and levels off
// at t = K; the convex part after K accelerates.
TEST(Cubic, ConcaveUpToWMaxThenConvex) {
  constexpr Duration kRtt = milliseconds(200);
  Cubic cubic = grown_to(100);
  cubic.on_congestion_event(at(milliseconds(0)), 100000);
  cubic.on_recovery_exit(at(milliseconds(0)));
  const Instant epoch = at(std::chrono::seconds(1));
  const double k = std::cbrt(75.0);
  const auto at_epoch = [&](double t) {
    return epoch + std::chrono::duration_cast<Duration>(std::chrono::duration<double>(t));
  };
  SteadyPath path{cubic, kRtt, epoch};
  path.run_until(at_epoch(1.0));
  const double after_first_second = cwnd_segments(cubic);
  path.run_until(at_epoch(k - 1.0));
  const double second_before_k = cwnd_segments(cubic);
  path.run_until(at_epoch(k));
  const double at_k = cwnd_segments(cubic);
  // Concave: fast growth away from the loss, a plateau near W_max.
  EXPECT_GT(after_first_second - 70.0, 3 * (at_k - second_before_k));
  // cwnd tracks W_cubic one RTT ahead: within a segment of W_max at t = K.
  EXPECT_NEAR(at_k, 100.0, 1.0);
  EXPECT_LE(at_k, cubic_window(seconds_between(epoch, path.last_ack) + 0.2, k, 100) + 1e-9);
  // Convex: increments per second grow: W(K+1) = 100.4, W(K+2) = 103.2, W(K+3) = 110.8.
  double previous = at_k;
  double previous_increase = 0;
  for (double t = k + 1; t < k + 3.5; t += 1.0) {
    path.run_until(at_epoch(t));
    const double now_cwnd = cwnd_segments(cubic);
    EXPECT_GT(now_cwnd - previous, previous_increase) << "t = " << t;
    const double elapsed = seconds_between(epoch, path.last_ack);
    EXPECT_GE(now_cwnd, cubic_window(elapsed, k, 100) - 1.0) << "t = " << t;
    EXPECT_LE(now_cwnd, cubic_window(elapsed + 0.2, k, 100) + 1e-9) << "t = " << t;
    previous_increase = now_cwnd - previous;
    previous = now_cwnd;
  }
  EXPECT_GT(previous, 108.0);
  // W_est (Reno-friendly) grew by alpha per round: 36 rounds = 70 + 36 * 0.53 = 89 < cwnd.
  EXPECT_LT(cubic.info().w_est, 90.0);
}

// With a 1 ms RTT a Reno flow gains a segment per millisecond while W_cubic barely moves:
// cwnd follows W_est (RFC 9438 §4.3). One ACK per RTT acknowledges the whole window, so
// W_est += alpha (0.529) per ACK until it reaches cwnd_prior = 20, then += 1.
TEST(Cubic, RenoFriendlyRegionDominatesAtSmallRtt) {
  Cubic cubic = grown_to(20);
  cubic.on_congestion_event(at(milliseconds(0)), 20000);
  cubic.on_recovery_exit(at(milliseconds(0)));
  ASSERT_EQ(cubic.cwnd(), 14000u);
  for (int i = 1; i <= 12; ++i) {
    cubic.on_ack(ack_at(at(milliseconds(i)), cubic.cwnd(), milliseconds(1)));
  }
  // 14 + 12 * 0.9 / 1.7 = 20.3529 segments; W_cubic(12 ms) = 0.4 * (0.012 - 2.466)^3 + 20 = 14.09.
  EXPECT_NEAR(cubic.info().w_est, 14.0 + 12 * 0.9 / 1.7, 1e-9);
  EXPECT_LT(cubic_window(0.011, cubic.info().k, 20), 14.1);
  EXPECT_EQ(cubic.cwnd(), 20352u);
  cubic.on_ack(ack_at(at(milliseconds(13)), cubic.cwnd(), milliseconds(1)));
  EXPECT_EQ(cubic.cwnd(), 21352u);  // W_est passed cwnd_prior: alpha = 1
}

// RFC 9438 §4.4: whatever W_cubic(t + RTT) is, one RTT of ACKs grows cwnd to 1.5 * cwnd at most.
TEST(Cubic, GrowthPerRoundTripIsAtMostHalfTheWindow) {
  Cubic cubic(kSmss, at(milliseconds(0)));
  cubic.on_rto(at(milliseconds(1000)), 10000);  // ssthresh = 7000, cwnd = 1000
  for (int i = 0; i < 3; ++i) cubic.on_ack(ack_at(at(milliseconds(1100)), 2000));
  ASSERT_EQ(cubic.cwnd(), 7000u);
  // Epoch start: W_max = 7, K = 0. W_est = 7 + 1/7 > W_cubic(0) = 7: Reno-friendly, 7142.
  cubic.on_ack(ack_at(at(std::chrono::seconds(2)), 1000, std::chrono::seconds(3)));
  ASSERT_EQ(cubic.cwnd(), 7142u);
  // 2 s later W_cubic(2) = 10.2 > W_est = 8.14: CUBIC region. The target W_cubic(2 + 3) = 57
  // is capped at 1.5 * 7.142, so a whole window of ACKs adds half a window: 3571 bytes.
  cubic.on_ack(ack_at(at(std::chrono::seconds(4)), 7142, std::chrono::seconds(3)));
  EXPECT_NEAR(cubic.cwnd(), 10713.0, 1.0);
}

TEST(Cubic, FastConvergenceLowersWMax) {
  Cubic cubic = grown_to(100);
  cubic.on_congestion_event(at(milliseconds(0)), 100000);
  EXPECT_EQ(cubic.info().w_max, 100.0);  // first loss: W_max = cwnd
  cubic.on_recovery_exit(at(milliseconds(100)));
  // A second loss below W_max (70 < 100): W_max = 70 * (1 + 0.7) / 2 = 59.5 (RFC 9438 §4.7).
  cubic.on_congestion_event(at(milliseconds(200)), 70000);
  EXPECT_DOUBLE_EQ(*cubic.info().w_max, 59.5);
  EXPECT_EQ(cubic.cwnd(), 49000u);
  cubic.on_recovery_exit(at(milliseconds(300)));
  cubic.on_ack(ack_at(at(milliseconds(400)), kSmss, milliseconds(100)));
  EXPECT_NEAR(cubic.info().k, std::cbrt((59.5 - 49.0) / 0.4), 1e-12);
}

TEST(Cubic, RtoCollapsesToOneSegmentAndRestartsWithZeroK) {
  Cubic cubic = grown_to(100);
  cubic.on_rto(at(milliseconds(1000)), 100000);
  EXPECT_EQ(cubic.cwnd(), 1000u);       // RFC 9438 §4.8: like Reno
  EXPECT_EQ(cubic.ssthresh(), 70000u);  // but ssthresh with beta_cubic
  EXPECT_FALSE(cubic.info().w_max);
  cubic.on_rto(at(milliseconds(3000)), 1000);  // RFC 5681 §3.1: held on a repeated timeout
  EXPECT_EQ(cubic.ssthresh(), 70000u);
  // Standard slow start now (HyStart++ is for the initial one): 2 SMSS per ACK at most.
  cubic.on_ack(ack_at(at(milliseconds(3100)), 8000));
  EXPECT_EQ(cubic.cwnd(), 3000u);
  while (cubic.in_slow_start()) cubic.on_ack(ack_at(at(milliseconds(3200)), 2000));
  EXPECT_EQ(cubic.cwnd(), 70000u);
  // The next stage grows from W_max = cwnd_epoch = 70 with K = 0 (convex from the start).
  cubic.on_ack(ack_at(at(milliseconds(3300)), kSmss, milliseconds(100)));
  EXPECT_EQ(cubic.info().w_max, 70.0);
  EXPECT_EQ(cubic.info().k, 0.0);
}

TEST(Cubic, RtoDuringRecoveryKeepsReducedSsthresh) {
  Cubic cubic = grown_to(100);
  cubic.on_congestion_event(at(milliseconds(0)), 100000);
  cubic.on_rto(at(milliseconds(1000)), 70000);
  EXPECT_EQ(cubic.ssthresh(), 70000u);  // not 70000 * 0.7 = 49000
  EXPECT_EQ(cubic.cwnd(), 1000u);
}

TEST(Cubic, AppLimitedAcksDoNotGrowWindow) {
  Cubic slow_start(kSmss, at(milliseconds(0)));
  AckSample limited = ack_at(at(milliseconds(100)), 2000);
  limited.app_limited = true;
  slow_start.on_ack(limited);
  EXPECT_EQ(slow_start.cwnd(), 10000u);

  Cubic cubic = grown_to(100);
  cubic.on_congestion_event(at(milliseconds(0)), 100000);
  cubic.on_recovery_exit(at(milliseconds(0)));
  for (int i = 1; i <= 50; ++i) {
    limited.now = at(milliseconds(100 * i));
    cubic.on_ack(limited);
  }
  EXPECT_EQ(cubic.cwnd(), 70000u);
}

// RFC 9438 §5.8: time spent application-limited does not count in t. A flow that paused
// for 2 s between two busy periods ends with the cwnd of one that never paused.
TEST(Cubic, AppLimitedTimeDoesNotAdvanceTheCubicClock) {
  constexpr Duration kRtt = milliseconds(100);
  Cubic busy = grown_to(100);
  Cubic paused = grown_to(100);
  for (Cubic* cubic : {&busy, &paused}) {
    cubic->on_congestion_event(at(milliseconds(0)), 100000);
    cubic->on_recovery_exit(at(milliseconds(0)));
  }
  SteadyPath busy_path{busy, kRtt, at(std::chrono::seconds(1))};
  busy_path.run_until(at(std::chrono::seconds(4)));
  SteadyPath paused_path{paused, kRtt, at(std::chrono::seconds(1))};
  paused_path.run_until(at(std::chrono::seconds(2)));
  const std::uint32_t before_pause = paused.cwnd();
  AckSample limited = ack_at(paused_path.last_ack, kSmss, kRtt);
  limited.app_limited = true;
  for (int i = 1; i <= 4; ++i) {
    limited.now = paused_path.last_ack + i * milliseconds(500);
    paused.on_ack(limited);
  }
  EXPECT_EQ(paused.cwnd(), before_pause);
  const Duration pause = std::chrono::seconds(2);
  paused_path.next_round += pause;
  paused_path.run_until(at(std::chrono::seconds(4)) + pause);
  EXPECT_EQ(paused.cwnd(), busy.cwnd());
  EXPECT_EQ(*paused.info().epoch_start, *busy.info().epoch_start + pause);
}

}  // namespace
}  // namespace tapstack
