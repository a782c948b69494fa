#include "stack/fault/fault_injector.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace tapstack {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

std::vector<std::byte> frame(std::size_t size, std::uint8_t tag) {
  std::vector<std::byte> bytes(size, std::byte{0});
  bytes[0] = std::byte{tag};
  return bytes;
}

std::vector<std::vector<std::byte>> drain(FaultInjector& link, Instant now) {
  std::vector<std::vector<std::byte>> out;
  link.deliver_due(now, [&](wire::Bytes f) { out.emplace_back(f.begin(), f.end()); });
  return out;
}

TEST(FaultInjector, WithoutFaultsFramesPassAtOnceInOrder) {
  FaultInjector link{FaultSettings{}, 1};
  EXPECT_FALSE(FaultSettings{}.enabled());
  for (std::uint8_t i = 0; i < 5; ++i) link.push(frame(60, i), Instant{});
  const auto out = drain(link, Instant{});
  ASSERT_EQ(out.size(), 5U);
  for (std::uint8_t i = 0; i < 5; ++i) EXPECT_EQ(out[i][0], std::byte{i});
  EXPECT_EQ(link.counters().passed, 5U);
}

TEST(FaultInjector, DropAllDropsEverything) {
  FaultSettings settings;
  settings.drop = 1.0;
  FaultInjector link{settings, 1};
  for (int i = 0; i < 100; ++i) link.push(frame(60, 0), Instant{});
  EXPECT_TRUE(drain(link, at(std::chrono::hours(1))).empty());
  EXPECT_EQ(link.counters().dropped, 100U);
}

TEST(FaultInjector, DropRateIsRoughlyTheProbabilityAndDeterministic) {
  FaultSettings settings;
  settings.drop = 0.1;
  FaultInjector first{settings, 7};
  FaultInjector second{settings, 7};
  for (int i = 0; i < 10000; ++i) {
    first.push(frame(60, 0), Instant{});
    second.push(frame(60, 0), Instant{});
  }
  // 10000 draws at p = 0.1: mean 1000, sigma 30; 5 sigma either side.
  EXPECT_NEAR(static_cast<double>(first.counters().dropped), 1000.0, 150.0);
  EXPECT_EQ(first.counters().dropped, second.counters().dropped);
}

TEST(FaultInjector, DelayHoldsFramesUntilDue) {
  FaultSettings settings;
  settings.delay = milliseconds(10);
  FaultInjector link{settings, 1};
  link.push(frame(60, 1), Instant{});
  EXPECT_EQ(link.next_deadline(), at(milliseconds(10)));
  EXPECT_TRUE(drain(link, at(milliseconds(9))).empty());
  EXPECT_EQ(drain(link, at(milliseconds(10))).size(), 1U);
  EXPECT_EQ(link.next_deadline(), kNever);
}

TEST(FaultInjector, RateLimitSerialisesABurst) {
  FaultSettings settings;
  settings.rate_bits_per_second = 8'000'000;  // 1 byte per microsecond
  FaultInjector link{settings, 1};
  link.push(frame(1000, 1), Instant{});
  link.push(frame(1000, 2), Instant{});
  EXPECT_EQ(link.next_deadline(), at(microseconds(1000)));
  EXPECT_EQ(drain(link, at(microseconds(1999))).size(), 1U);
  EXPECT_EQ(link.next_deadline(), at(microseconds(2000)));
}

TEST(FaultInjector, QueueLimitTailDrops) {
  FaultSettings settings;
  settings.rate_bits_per_second = 8'000;
  settings.queue_limit = 3;
  FaultInjector link{settings, 1};
  for (int i = 0; i < 5; ++i) link.push(frame(100, 0), Instant{});
  EXPECT_EQ(link.queued(), 3U);
  EXPECT_EQ(link.counters().overflowed, 2U);
}

TEST(FaultInjector, DuplicateDeliversTwoCopies) {
  FaultSettings settings;
  settings.duplicate = 1.0;
  FaultInjector link{settings, 1};
  link.push(frame(60, 9), Instant{});
  const auto out = drain(link, Instant{});
  ASSERT_EQ(out.size(), 2U);
  EXPECT_EQ(out[0], out[1]);
  EXPECT_EQ(link.counters().duplicated, 1U);
}

TEST(FaultInjector, ReorderLetsLaterFramesOvertake) {
  FaultSettings settings;
  settings.reorder = 1.0;
  settings.reorder_delay = milliseconds(5);
  FaultInjector link{settings, 1};
  link.push(frame(60, 1), Instant{});
  // The held frame is due 5 ms later than an unheld one pushed at the same time.
  EXPECT_EQ(link.next_deadline(), at(milliseconds(5)));
  EXPECT_EQ(link.counters().reordered, 1U);
}

TEST(FaultInjector, CorruptFlipsExactlyOneBitAfterTheEthernetHeader) {
  FaultSettings settings;
  settings.corrupt = 1.0;
  FaultInjector link{settings, 3};
  const auto original = frame(64, 0);
  link.push(original, Instant{});
  const auto out = drain(link, Instant{});
  ASSERT_EQ(out.size(), 1U);
  int flipped_bits = 0;
  for (std::size_t i = 0; i < original.size(); ++i) {
    const auto diff = std::to_integer<unsigned>(original[i] ^ out[0][i]);
    if (diff != 0) {
      EXPECT_GE(i, 14U);
    }
    flipped_bits += __builtin_popcount(diff);
  }
  EXPECT_EQ(flipped_bits, 1);
}

}  // namespace
}  // namespace tapstack
