#include "stack/tcp/syn_cookies.hpp"

#include <gtest/gtest.h>

namespace tapstack {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

const FourTuple kTuple{.local_addr = Ipv4Addr{10, 0, 0, 2},
                       .local_port = 80,
                       .remote_addr = Ipv4Addr{198, 51, 100, 7},
                       .remote_port = 51000};
const SeqNum kClientIsn{0xfffffff0};  // wraps when the ACK adds 1 to it: fine modulo 2^32
const Instant kNow = at(minutes(10) + seconds(30));

SynCookieOptions options(std::uint16_t mss, std::optional<std::uint8_t> window_scale = {},
                         bool sack_permitted = false) {
  return {.mss = mss, .window_scale = window_scale, .sack_permitted = sack_permitted};
}

class SynCookiesTest : public testing::Test {
 protected:
  // Encodes a SYN from kTuple at `sent`, then decodes the ACK completing the handshake at
  // `received` (ack = isn + 1, seq = client_isn + 1, TSecr = our TSval when there was one).
  std::optional<SynCookieOptions> round_trip(const SynCookieOptions& wanted, bool timestamps,
                                             Instant sent = kNow, Instant received = kNow) {
    const auto encoded = cookies_.encode(kTuple, kClientIsn, wanted, timestamps, 0x12345678, sent);
    return cookies_.decode(kTuple, encoded.isn + 1, kClientIsn + 1, encoded.tsval, received);
  }

  Random random_{2024};
  SynCookies cookies_{random_};
};

TEST_F(SynCookiesTest, MinuteCounter) {
  EXPECT_EQ(SynCookies::count_at(at(seconds(59))), 0U);
  EXPECT_EQ(SynCookies::count_at(at(seconds(60))), 1U);
  EXPECT_EQ(SynCookies::count_at(kNow), 10U);
}

TEST_F(SynCookiesTest, MssRoundsDownToTheTable) {
  struct Case {
    std::uint16_t client_mss;
    std::uint16_t decoded_mss;
  };
  // Table {536, 1300, 1440, 1460}: the largest entry <= the client's MSS; below 536, 536.
  for (const Case c : {Case{400, 536}, Case{536, 536}, Case{1299, 536}, Case{1300, 1300},
                       Case{1439, 1300}, Case{1440, 1440}, Case{1459, 1440}, Case{1460, 1460},
                       Case{8960, 1460}, Case{65535, 1460}}) {
    const auto decoded = round_trip(options(c.client_mss), false);
    ASSERT_TRUE(decoded) << "client MSS " << c.client_mss;
    EXPECT_EQ(*decoded, options(c.decoded_mss)) << "client MSS " << c.client_mss;
  }
}

TEST_F(SynCookiesTest, WithoutTimestampsWindowScaleAndSackAreLost) {
  const auto encoded =
      cookies_.encode(kTuple, kClientIsn, options(1460, 7, true), false, 0x12345678, kNow);
  EXPECT_FALSE(encoded.tsval);
  const auto decoded = cookies_.decode(kTuple, encoded.isn + 1, kClientIsn + 1, std::nullopt, kNow);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, options(1460));
}

TEST_F(SynCookiesTest, TimestampCarriesWindowScaleAndSack) {
  const SynCookieOptions wanted = options(1440, 7, true);
  const auto encoded = cookies_.encode(kTuple, kClientIsn, wanted, true, 0x12345678, kNow);
  // ts_now low 6 bits = 0x38; options = wscale 7 | SACK 0x10 = 0x17 <= 0x38, so the TSval is
  // 0x12345640 | 0x17: at most 63 ticks behind the clock, never ahead.
  ASSERT_TRUE(encoded.tsval);
  EXPECT_EQ(*encoded.tsval, 0x12345657U);
  const auto decoded =
      cookies_.decode(kTuple, encoded.isn + 1, kClientIsn + 1, encoded.tsval, kNow);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, wanted);
}

TEST_F(SynCookiesTest, TimestampNeverAheadOfTheClock) {
  // No window scale (0xf) | SACK (0x10) = 0x1f > the clock's low bits 0x03: one step (64) back,
  // 0x1234561f - 0x40 = 0x123455df.
  const auto encoded =
      cookies_.encode(kTuple, kClientIsn, options(536, std::nullopt, true), true, 0x12345603, kNow);
  ASSERT_TRUE(encoded.tsval);
  EXPECT_EQ(*encoded.tsval, 0x123455dfU);
  const auto decoded =
      cookies_.decode(kTuple, encoded.isn + 1, kClientIsn + 1, encoded.tsval, kNow);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(*decoded, options(536, std::nullopt, true));
}

TEST_F(SynCookiesTest, WindowScaleZeroSurvivesAndAboveFourteenIsClamped) {
  const auto zero = round_trip(options(1460, 0), true);
  ASSERT_TRUE(zero);
  EXPECT_EQ(zero->window_scale, std::optional<std::uint8_t>{0});
  // RFC 7323 §2.3: a shift count above 14 is used as 14.
  const auto big = round_trip(options(1460, 15), true);
  ASSERT_TRUE(big);
  EXPECT_EQ(big->window_scale, std::optional<std::uint8_t>{14});
}

TEST_F(SynCookiesTest, EchoedEcnBitIsRejected) {
  const auto encoded = cookies_.encode(kTuple, kClientIsn, options(1460), true, 0x12345678, kNow);
  ASSERT_TRUE(encoded.tsval);
  EXPECT_FALSE(
      cookies_.decode(kTuple, encoded.isn + 1, kClientIsn + 1, *encoded.tsval | 0x20, kNow));
}

TEST_F(SynCookiesTest, ValidForLessThanTwoMinuteTicks) {
  const SynCookieOptions wanted = options(1460);
  // Encoded in minute 10 (10:30): accepted through minute 11, rejected from 12:00 on.
  EXPECT_TRUE(round_trip(wanted, false, kNow, kNow + seconds(89)));  // 11:59
  EXPECT_TRUE(round_trip(wanted, false, kNow, at(minutes(12) - milliseconds(1))));
  EXPECT_FALSE(round_trip(wanted, false, kNow, at(minutes(12))));
  EXPECT_FALSE(round_trip(wanted, false, kNow, kNow + minutes(3)));
  // Nor from the future (a counter ahead of ours is 255 minutes old modulo 256).
  EXPECT_FALSE(round_trip(wanted, false, kNow, kNow - minutes(1)));
  // 256 minutes later the 8-bit counter matches again, but hash2 is keyed with the full count.
  EXPECT_FALSE(round_trip(wanted, false, kNow, kNow + minutes(256)));
}

TEST_F(SynCookiesTest, WrongTupleOrNumbersAreRejected) {
  const auto encoded = cookies_.encode(kTuple, kClientIsn, options(1460), false, 0, kNow);
  const SeqNum ack = encoded.isn + 1;
  const SeqNum seq = kClientIsn + 1;
  ASSERT_TRUE(cookies_.decode(kTuple, ack, seq, std::nullopt, kNow));

  FourTuple other = kTuple;
  other.remote_port = 51001;
  EXPECT_FALSE(cookies_.decode(other, ack, seq, std::nullopt, kNow));
  other = kTuple;
  other.remote_addr = Ipv4Addr{198, 51, 100, 8};
  EXPECT_FALSE(cookies_.decode(other, ack, seq, std::nullopt, kNow));
  other = kTuple;
  other.local_port = 443;
  EXPECT_FALSE(cookies_.decode(other, ack, seq, std::nullopt, kNow));

  // MSS index 3 in the low 24 bits: +4 or +1000 leaves the table; +2^24 changes the counter.
  EXPECT_FALSE(cookies_.decode(kTuple, ack + 4, seq, std::nullopt, kNow));
  EXPECT_FALSE(cookies_.decode(kTuple, ack + 1000, seq, std::nullopt, kNow));
  EXPECT_FALSE(cookies_.decode(kTuple, ack + (1U << 24), seq, std::nullopt, kNow));
  EXPECT_FALSE(cookies_.decode(kTuple, ack, seq + 1000, std::nullopt, kNow));
}

TEST_F(SynCookiesTest, ForgedAcksAreAlmostNeverAccepted) {
  // A random ACK passes if its top 8 bits give an age of 0 or 1 (2/256) and its low 24 bits
  // land on one of 4 MSS indexes (4/2^24): 8/2^32 = 1.9e-9 per try, so 100,000 forgeries
  // expect 1.9e-4 acceptances. With this seed: none.
  Random attacker{99};
  int accepted = 0;
  for (int i = 0; i < 100'000; ++i) {
    const SeqNum ack{attacker.next32()};
    const SeqNum seq{attacker.next32()};
    if (cookies_.decode(kTuple, ack, seq, std::nullopt, kNow)) ++accepted;
  }
  EXPECT_EQ(accepted, 0);
}

TEST_F(SynCookiesTest, SecretsComeFromTheStacksRandom) {
  Random same_seed{2024};
  const SynCookies replay{same_seed};
  Random other_seed{2025};
  const SynCookies other{other_seed};
  const auto mine = cookies_.encode(kTuple, kClientIsn, options(1460), false, 0, kNow);
  EXPECT_EQ(replay.encode(kTuple, kClientIsn, options(1460), false, 0, kNow).isn, mine.isn);
  EXPECT_NE(other.encode(kTuple, kClientIsn, options(1460), false, 0, kNow).isn, mine.isn);
  EXPECT_FALSE(other.decode(kTuple, mine.isn + 1, kClientIsn + 1, std::nullopt, kNow));
}

}  // namespace
}  // namespace tapstack
