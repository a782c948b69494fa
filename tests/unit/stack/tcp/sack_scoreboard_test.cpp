#include "stack/tcp/sack_scoreboard.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <utility>
#include <vector>

#include "stack/base/random.hpp"

namespace tapstack {
namespace {

using Ranges = std::vector<std::pair<std::uint32_t, std::uint32_t>>;

// Tests speak in offsets from a base near 2^32, so every scenario crosses the wrap of sequence
// space at offset 256. SMSS is 1000 to keep the arithmetic readable: RFC 6675 IsLost needs more
// than (DupThresh - 1) * SMSS = 2000 SACKed bytes, or 3 ranges, above a byte.
constexpr std::uint32_t kBase = 0xffffff00;
constexpr std::uint32_t kSmss = 1000;

SeqNum at(std::uint32_t offset) {
  return SeqNum{kBase + offset};
}
SeqRange range(std::uint32_t begin, std::uint32_t end) {
  return SeqRange{at(begin), at(end)};
}

class SackScoreboardTest : public ::testing::Test {
 protected:
  SackScoreboard::Update ack(
      std::uint32_t snd_una, std::uint32_t snd_nxt,
      std::initializer_list<std::pair<std::uint32_t, std::uint32_t>> blocks) {
    std::vector<SeqRange> sack;
    for (const auto& [begin, end] : blocks) sack.push_back(range(begin, end));
    return board_.on_ack(at(snd_una), at(snd_nxt), sack);
  }
  Ranges ranges() const {
    Ranges result;
    for (const SeqRange& r : board_.ranges()) {
      result.emplace_back(r.begin.value() - kBase, r.end.value() - kBase);
    }
    return result;
  }
  std::uint32_t pipe(std::uint32_t snd_una, std::uint32_t snd_nxt, std::uint32_t high_rxt) const {
    return board_.pipe(at(snd_una), at(snd_nxt), at(high_rxt), kSmss);
  }
  std::optional<std::pair<std::uint32_t, std::uint32_t>> next_lost(std::uint32_t from) const {
    const auto lost = board_.next_lost_range(at(from), kSmss);
    if (!lost) return std::nullopt;
    return std::pair{lost->begin.value() - kBase, lost->end.value() - kBase};
  }

  SackScoreboard board_;
};

TEST_F(SackScoreboardTest, RecordsAndMergesBlocks) {
  // Ten 1000-byte segments in flight, [0, 10000); segment 0 is lost.
  auto update = ack(0, 10000, {{1000, 2000}});
  EXPECT_EQ(update.newly_sacked, 1000u);
  EXPECT_FALSE(update.dsack);
  update = ack(0, 10000, {{3000, 4000}, {1000, 2000}});
  EXPECT_EQ(update.newly_sacked, 1000u);
  update = ack(0, 10000, {{2000, 3000}, {3000, 4000}, {1000, 2000}});  // fills the hole
  EXPECT_EQ(update.newly_sacked, 1000u);
  EXPECT_EQ(ranges(), (Ranges{{1000, 4000}}));
  EXPECT_EQ(board_.sacked_bytes(), 3000u);
  EXPECT_EQ(board_.highest_sacked(), at(4000));
  EXPECT_FALSE(board_.is_sacked(at(999)));
  EXPECT_TRUE(board_.is_sacked(at(1000)));
  EXPECT_TRUE(board_.is_sacked(at(3999)));
  EXPECT_FALSE(board_.is_sacked(at(4000)));
}

TEST_F(SackScoreboardTest, SeveralBlocksInOneAck) {
  const auto update = ack(0, 10000, {{5000, 6000}, {1000, 2000}, {1500, 2500}});
  EXPECT_EQ(update.newly_sacked, 2500u);  // 1000 + 1000 + the 500 of [2000, 2500) not yet seen
  EXPECT_EQ(ranges(), (Ranges{{1000, 2500}, {5000, 6000}}));
}

TEST_F(SackScoreboardTest, CumulativeAckDropsAndTrimsRanges) {
  ack(0, 10000, {{1000, 2000}, {3000, 4000}, {5000, 6000}});
  // ACK 3500: [1000, 2000) is gone, [3000, 4000) keeps its part above 3500.
  const auto update = ack(3500, 10000, {{5000, 6000}});
  EXPECT_EQ(update.newly_sacked, 0u);
  EXPECT_EQ(ranges(), (Ranges{{3500, 4000}, {5000, 6000}}));
  EXPECT_EQ(board_.sacked_bytes(), 1500u);
  ack(10000, 10000, {});
  EXPECT_EQ(ranges(), Ranges{});
  EXPECT_EQ(board_.sacked_bytes(), 0u);
  EXPECT_EQ(board_.highest_sacked(), std::nullopt);
}

TEST_F(SackScoreboardTest, IgnoresInvalidBlocks) {
  auto update = ack(1000, 5000, {{4000, 5001}});  // beyond SND.NXT: never sent
  EXPECT_EQ(update.newly_sacked, 0u);
  EXPECT_EQ(update.discarded, 1u);
  update = ack(1000, 5000, {{3000, 3000}});  // empty
  EXPECT_EQ(update.newly_sacked, 0u);
  EXPECT_EQ(update.discarded, 1u);
  update = ack(1000, 5000, {{4000, 3000}});  // reversed
  EXPECT_EQ(update.newly_sacked, 0u);
  EXPECT_EQ(update.discarded, 1u);
  // Far outside the window (a forged block), next to a valid one: only it is discarded.
  update = ack(1000, 5000, {{2000, 3000}, {1000000000, 1000000640}});
  EXPECT_EQ(update.newly_sacked, 1000u);
  EXPECT_EQ(update.discarded, 1u);
  ack(5000, 5000, {});
  EXPECT_EQ(ranges(), Ranges{});
  // Not first, straddling SND.UNA: only the part above it counts.
  update = ack(1000, 5000, {{4000, 5000}, {500, 1500}});
  EXPECT_EQ(update.discarded, 0u);
  EXPECT_EQ(update.newly_sacked, 1500u);
  EXPECT_EQ(ranges(), (Ranges{{1000, 1500}, {4000, 5000}}));
}

// RFC 2883 §4 examples 1, 2 and 3 seen from the sender.
TEST_F(SackScoreboardTest, DsackBelowTheCumulativeAck) {
  // Example 1: ACK 4000, SACK=3000-3500.
  auto update = ack(4000, 4000, {{3000, 3500}});
  EXPECT_TRUE(update.dsack);
  EXPECT_EQ(update.newly_sacked, 0u);
  EXPECT_EQ(ranges(), Ranges{});
  // Example 2: ACK 4000, SACK=3000-3500, 4500-5000: the second block is recorded.
  update = ack(4000, 5000, {{3000, 3500}, {4500, 5000}});
  EXPECT_TRUE(update.dsack);
  EXPECT_EQ(update.newly_sacked, 500u);
  EXPECT_EQ(ranges(), (Ranges{{4500, 5000}}));
}

TEST_F(SackScoreboardTest, DsackInsideTheSecondBlock) {
  ack(4000, 5500, {{4500, 5000}});
  auto update = ack(4000, 5500, {{4500, 5500}});
  EXPECT_FALSE(update.dsack);
  EXPECT_EQ(update.newly_sacked, 500u);
  // Example 3: ACK 4000, SACK=5000-5500, 4500-5500.
  update = ack(4000, 5500, {{5000, 5500}, {4500, 5500}});
  EXPECT_TRUE(update.dsack);
  EXPECT_EQ(update.newly_sacked, 0u);
  EXPECT_EQ(ranges(), (Ranges{{4500, 5500}}));
  // A first block that only overlaps the second is ordinary SACK information.
  update = ack(4000, 7000, {{5000, 6000}, {4500, 5500}});
  EXPECT_FALSE(update.dsack);
  EXPECT_EQ(update.newly_sacked, 500u);
}

TEST_F(SackScoreboardTest, RangesAreBounded) {
  // 65 disjoint 50-byte ranges at 100 * i + 10: the highest one is forgotten.
  for (std::uint32_t i = 0; i <= SackScoreboard::kMaxRanges; ++i) {
    ack(0, 20000, {{100 * i + 10, 100 * i + 60}});
  }
  EXPECT_EQ(board_.ranges().size(), SackScoreboard::kMaxRanges);
  EXPECT_EQ(board_.sacked_bytes(), 64u * 50u);
  EXPECT_EQ(board_.highest_sacked(), at(100 * 63 + 60));
  // A new lower range pushes out the highest again; joining two ranges makes room.
  ack(0, 20000, {{0, 5}});
  EXPECT_EQ(board_.highest_sacked(), at(100 * 62 + 60));
  ack(0, 20000, {{60, 110}});  // joins [10, 60) and [110, 160)
  EXPECT_EQ(board_.ranges().size(), SackScoreboard::kMaxRanges - 1);
  EXPECT_EQ(board_.sacked_bytes(), 64u * 50u + 5u);  // 63 ranges of 50, [0, 5), the 50 joined
}

TEST_F(SackScoreboardTest, IsLostByBytes) {
  // RFC 6675 §4 IsLost: exactly 2 * SMSS SACKed above is not enough, one byte more is.
  ack(0, 10000, {{1000, 3000}});
  EXPECT_FALSE(board_.is_lost(at(0), kSmss));
  ack(0, 10000, {{3000, 3001}});
  EXPECT_TRUE(board_.is_lost(at(0), kSmss));
  EXPECT_TRUE(board_.is_lost(at(999), kSmss));
  // Only the SACKed bytes above the byte count: 1001 above 1999.
  EXPECT_FALSE(board_.is_lost(at(1999), kSmss));
  EXPECT_FALSE(board_.is_lost(at(5000), kSmss));
}

TEST_F(SackScoreboardTest, IsLostByDiscontiguousRanges) {
  // Three 100-byte ranges: 300 bytes, but DupThresh discontiguous SACKed sequences.
  ack(0, 10000, {{1000, 1100}, {2000, 2100}, {3000, 3100}});
  EXPECT_TRUE(board_.is_lost(at(0), kSmss));
  EXPECT_TRUE(board_.is_lost(at(999), kSmss));
  EXPECT_FALSE(board_.is_lost(at(1500), kSmss));  // two ranges, 200 bytes above
}

TEST_F(SackScoreboardTest, NextLostRangeStopsAtSmssAndAtSackedData) {
  // Segments 0-2 lost, [3000, 6000) SACKed: the hole [0, 3000) has 3000 bytes above it.
  ack(0, 10000, {{3000, 6000}});
  EXPECT_EQ(next_lost(0), (std::pair{0u, 1000u}));
  EXPECT_EQ(next_lost(1000), (std::pair{1000u, 2000u}));
  EXPECT_EQ(next_lost(2500), (std::pair{2500u, 3000u}));  // not into SACKed data
  EXPECT_EQ(next_lost(3000), std::nullopt);               // nothing SACKed above 6000
  EXPECT_EQ(next_lost(7000), std::nullopt);
}

TEST_F(SackScoreboardTest, NextLostRangeSkipsSackedDataAndHolesNotLost) {
  // Holes: [0, 1000) has 3 ranges above (lost); [2000, 3000) has 2 ranges and 2000 bytes above
  // (not lost); [4000, 5000) has 1 range above (not lost).
  ack(0, 8000, {{1000, 2000}, {3000, 4000}, {5000, 6000}});
  EXPECT_EQ(next_lost(0), (std::pair{0u, 1000u}));
  EXPECT_EQ(next_lost(1000), std::nullopt);  // skips [1000, 2000); [2000, 3000) not lost
  EXPECT_EQ(next_lost(500), (std::pair{500u, 1000u}));
}

// RFC 6675 §4 SetPipe with and without retransmissions.
TEST_F(SackScoreboardTest, PipeCountsBytesStillInTheNetwork) {
  EXPECT_EQ(pipe(0, 10000, 0), 10000u);  // no SACK information: everything in flight
  // Segment 0 lost, segments 1-3 SACKed: 6 segments [4000, 10000) remain in the network.
  ack(0, 10000, {{1000, 4000}});
  EXPECT_EQ(pipe(0, 10000, 0), 6000u);
  // After retransmitting segment 0 (HighRxt = 999, one past it 1000) its copy is in flight too.
  EXPECT_EQ(pipe(0, 10000, 1000), 7000u);
}

TEST_F(SackScoreboardTest, PipeCountsRetransmittedBytesNotLostTwice) {
  // Only segment 1 SACKed: segment 0 is not lost yet (1000 bytes above it).
  ack(0, 10000, {{1000, 2000}});
  EXPECT_EQ(pipe(0, 10000, 0), 9000u);
  // RFC 6675 §4: "octets retransmitted without being considered lost are counted twice".
  EXPECT_EQ(pipe(0, 10000, 1000), 10000u);
}

TEST_F(SackScoreboardTest, PipeWithSeveralHoles) {
  // Holes [0, 1000) lost; [2000, 3000), [4000, 5000), [6000, 8000) not lost:
  // (a) 1000 + 1000 + 2000 = 4000.
  ack(0, 8000, {{1000, 2000}, {3000, 4000}, {5000, 6000}});
  EXPECT_EQ(pipe(0, 8000, 0), 4000u);
  // HighRxt 2500: (b) adds [0, 1000) and [2000, 2500): 4000 + 1000 + 500.
  EXPECT_EQ(pipe(0, 8000, 2500), 5500u);
  // SND.UNA advanced to 500 (and the scoreboard told): [0, 500) no longer counts.
  ack(500, 8000, {});
  EXPECT_EQ(pipe(500, 8000, 2500), 5000u);
}

TEST_F(SackScoreboardTest, ResetForgetsEverything) {
  ack(0, 10000, {{1000, 4000}});
  board_.reset();  // RFC 6675 §5.1: after an RTO
  EXPECT_EQ(board_.sacked_bytes(), 0u);
  EXPECT_FALSE(board_.is_sacked(at(1000)));
  EXPECT_FALSE(board_.is_lost(at(0), kSmss));
  EXPECT_EQ(pipe(0, 10000, 0), 10000u);
}

// Random ACKs against a byte-by-byte model of RFC 6675 §4: the scoreboard, IsLost, NextSeg
// rule 1 and SetPipe computed per octet exactly as the RFC words them.
TEST_F(SackScoreboardTest, MatchesAByteModel) {
  constexpr std::uint32_t kSent = 30000;  // SND.NXT
  Random random(42);
  std::vector<bool> sacked(kSent);
  std::uint32_t una = 0;
  for (int step = 0; step < 400; ++step) {
    if (step % 25 == 0) {  // a fresh loss episode, so the scoreboard never saturates
      board_.reset();
      std::fill(sacked.begin(), sacked.end(), false);
      una = static_cast<std::uint32_t>(random.below(kSent / 2));
    }
    // Now and then the cumulative ACK advances (never to SND.NXT, so blocks remain possible).
    if (random.below(8) == 0)
      una += static_cast<std::uint32_t>(random.below((kSent - una) / 4 + 1));
    std::vector<SeqRange> blocks;
    for (auto n = random.below(5); n > 0; --n) {
      const auto begin = una + static_cast<std::uint32_t>(random.below(kSent - una));
      const auto end = begin + 1 +
                       static_cast<std::uint32_t>(random.below(
                           std::min(std::uint64_t{600}, std::uint64_t{kSent - begin})));
      blocks.push_back(range(begin, end));
    }
    const auto update = board_.on_ack(at(una), at(kSent), blocks);
    // RFC 2883 §4: a first block inside the second is a D-SACK and not recorded.
    const bool dsack =
        blocks.size() > 1 && blocks[1].begin <= blocks[0].begin && blocks[0].end <= blocks[1].end;
    ASSERT_EQ(update.dsack, dsack);
    for (std::size_t b = dsack ? 1 : 0; b < blocks.size(); ++b) {
      for (SeqNum i = blocks[b].begin; i < blocks[b].end; i += 1) sacked[i.value() - kBase] = true;
    }
    std::fill(sacked.begin(), sacked.begin() + una, false);
    ASSERT_LT(board_.ranges().size(), SackScoreboard::kMaxRanges);  // else the model differs
    // Per octet from the top: SACKed bytes and discontiguous SACKed ranges above it.
    std::vector<bool> lost(kSent);
    std::uint64_t bytes_above = 0;
    std::size_t ranges_above = 0;
    for (std::uint32_t i = kSent; i-- > una;) {
      lost[i] = ranges_above >= 3 || bytes_above > 2 * kSmss;
      ASSERT_EQ(board_.is_lost(at(i), kSmss), lost[i]) << "octet " << i;
      ASSERT_EQ(board_.is_sacked(at(i)), sacked[i]) << "octet " << i;
      bytes_above += sacked[i] ? 1 : 0;
      ranges_above += sacked[i] && (i + 1 == kSent || !sacked[i + 1]) ? 1 : 0;
    }
    ASSERT_EQ(board_.sacked_bytes(), bytes_above);
    const auto high_rxt = una + static_cast<std::uint32_t>(random.below(kSent - una + 1));
    std::uint32_t pipe_model = 0;
    for (std::uint32_t i = una; i < kSent; ++i) {
      if (!sacked[i]) pipe_model += (lost[i] ? 0 : 1) + (i < high_rxt ? 1 : 0);
    }
    ASSERT_EQ(pipe(una, kSent, high_rxt), pipe_model) << "step " << step;
    // NextSeg rule 1 from a random point: the first unSACKed lost octet below the highest SACKed.
    const auto from = una + static_cast<std::uint32_t>(random.below(kSent - una));
    std::optional<std::pair<std::uint32_t, std::uint32_t>> expected;
    const auto highest = board_.highest_sacked();
    for (std::uint32_t i = from; highest && at(i) < *highest; ++i) {
      if (sacked[i] || !lost[i]) continue;
      std::uint32_t end = i;
      while (end < i + kSmss && !sacked[end]) ++end;
      expected = std::pair{i, end};
      break;
    }
    ASSERT_EQ(next_lost(from), expected) << "step " << step;
  }
}

}  // namespace
}  // namespace tapstack
