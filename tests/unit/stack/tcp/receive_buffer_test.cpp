#include "stack/tcp/receive_buffer.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <utility>
#include <vector>

#include "stack/base/random.hpp"

namespace tapstack {
namespace {

using Accept = ReceiveBuffer::Accept;
using Blocks = std::vector<std::pair<std::uint32_t, std::uint32_t>>;

// The byte at stream offset i is a function of i (period 251), so misplaced data shows.
std::vector<std::byte> stream(std::size_t offset, std::size_t size, unsigned salt = 0) {
  std::vector<std::byte> bytes(size);
  for (std::size_t i = 0; i < size; ++i) bytes[i] = std::byte((offset + i + salt) % 251);
  return bytes;
}

// Tests speak in stream offsets (or the RFC examples' sequence numbers), mapped to sequence
// numbers `shift` further on. With kWrap the data crosses 2^32 at offset 256.
constexpr std::uint32_t kWrap = 0xffffff00;

class ReceiveBufferTest : public ::testing::TestWithParam<std::uint32_t> {
 protected:
  SeqNum at(std::uint32_t offset) const { return SeqNum{GetParam() + offset}; }

  ReceiveBuffer::Result write(std::uint32_t offset, std::size_t size, unsigned salt = 0) {
    return buffer_.write(at(offset), stream(offset, size, salt));
  }
  // The SACK blocks as offsets, for readable comparisons.
  Blocks blocks(std::size_t max = 4) const {
    std::array<SeqRange, ReceiveBuffer::kMaxOutOfOrderRanges + 1> out{};
    const std::size_t count = buffer_.sack_blocks(std::span(out).first(max));
    Blocks result;
    for (std::size_t i = 0; i < count; ++i) {
      result.emplace_back(out[i].begin.value() - GetParam(), out[i].end.value() - GetParam());
    }
    return result;
  }
  std::vector<std::byte> read(std::size_t max) {
    std::vector<std::byte> out(max);
    out.resize(buffer_.read(out));
    return out;
  }
  void start(std::size_t capacity, std::uint32_t offset) {
    buffer_.set_capacity(capacity);
    buffer_.start(at(offset));
  }

  ReceiveBuffer buffer_{0};
};

INSTANTIATE_TEST_SUITE_P(Shifts, ReceiveBufferTest, ::testing::Values(0u, kWrap));

// Reported at the caller's line, with readable names.
::testing::AssertionResult accepted_as(ReceiveBuffer::Result result, Accept kind,
                                       std::size_t new_bytes) {
  static constexpr const char* kNames[] = {"in_order", "out_of_order", "duplicate",
                                           "outside_window", "too_fragmented"};
  if (result.kind == kind && result.new_bytes == new_bytes) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "got " << kNames[static_cast<int>(result.kind)] << " with " << result.new_bytes
         << " new bytes, expected " << kNames[static_cast<int>(kind)] << " with " << new_bytes;
}

TEST_P(ReceiveBufferTest, InOrderDataIsReadableAndShrinksTheWindow) {
  start(1000, 0);
  EXPECT_EQ(buffer_.storage_size(), 0u);
  EXPECT_EQ(buffer_.window(), 1000u);
  EXPECT_TRUE(accepted_as(write(0, 300), Accept::in_order, 300));
  EXPECT_EQ(buffer_.rcv_nxt(), at(300));
  EXPECT_EQ(buffer_.readable(), 300u);
  EXPECT_EQ(buffer_.window(), 700u);  // RFC 9293 RCV.WND = 1000 - 300
  EXPECT_EQ(read(100), stream(0, 100));
  EXPECT_EQ(buffer_.window(), 800u);
  std::vector<std::byte> peeked(500);
  EXPECT_EQ(buffer_.peek(peeked), 200u);  // MSG_PEEK: does not consume
  EXPECT_EQ(buffer_.readable(), 200u);
  EXPECT_EQ(read(500), stream(100, 200));
  EXPECT_EQ(buffer_.readable(), 0u);
  EXPECT_FALSE(buffer_.has_out_of_order());
}

TEST_P(ReceiveBufferTest, KeepsOnlyThePartInsideTheWindow) {
  start(1000, 0);
  // [0, 1500) into a 1000-byte window: [0, 1000) kept, the window closes.
  EXPECT_TRUE(accepted_as(write(0, 1500), Accept::in_order, 1000));
  EXPECT_EQ(buffer_.window(), 0u);
  // RFC 9293 §3.10.7.4: with a zero window even the next byte is not acceptable.
  EXPECT_TRUE(accepted_as(write(1000, 1), Accept::outside_window, 0));
  EXPECT_EQ(read(400), stream(0, 400));
  // Window [1000, 1400): a segment starting at its right edge is outside.
  EXPECT_TRUE(accepted_as(write(1400, 10), Accept::outside_window, 0));
  EXPECT_TRUE(accepted_as(write(1300, 200), Accept::out_of_order, 100));  // [1300, 1400) kept
  EXPECT_EQ(blocks(), (Blocks{{1300, 1400}}));
}

// RFC 2018 §6 case 3: left edge 5000, eight 500-byte segments; the 2nd, 4th, 6th and 8th are
// dropped, then the 4th and the 2nd arrive late. Each step checks the ACK of the RFC's table.
TEST_P(ReceiveBufferTest, Rfc2018Case3SackBlocksAndGapFill) {
  start(8192, 5000);
  EXPECT_TRUE(accepted_as(write(5000, 500), Accept::in_order, 500));
  EXPECT_EQ(buffer_.rcv_nxt(), at(5500));
  EXPECT_EQ(blocks(), Blocks{});
  EXPECT_TRUE(accepted_as(write(6000, 500), Accept::out_of_order, 500));
  EXPECT_EQ(blocks(), (Blocks{{6000, 6500}}));
  EXPECT_TRUE(accepted_as(write(7000, 500), Accept::out_of_order, 500));
  EXPECT_EQ(blocks(), (Blocks{{7000, 7500}, {6000, 6500}}));
  EXPECT_TRUE(accepted_as(write(8000, 500), Accept::out_of_order, 500));
  EXPECT_EQ(blocks(), (Blocks{{8000, 8500}, {7000, 7500}, {6000, 6500}}));
  EXPECT_EQ(buffer_.rcv_nxt(), at(5500));
  EXPECT_EQ(buffer_.readable(), 500u);
  EXPECT_EQ(buffer_.window(), 8192u - 500u);  // out-of-order data does not shrink RCV.WND
  // The 4th segment (6500) joins 6000-6500 and 7000-7500.
  EXPECT_TRUE(accepted_as(write(6500, 500), Accept::out_of_order, 500));
  EXPECT_EQ(blocks(), (Blocks{{6000, 7500}, {8000, 8500}}));
  // The 2nd segment (5500) fills the gap: ACK 7500, SACK 8000-8500.
  EXPECT_TRUE(accepted_as(write(5500, 500), Accept::in_order, 500));
  EXPECT_EQ(buffer_.rcv_nxt(), at(7500));
  EXPECT_EQ(blocks(), (Blocks{{8000, 8500}}));
  EXPECT_EQ(read(10000), stream(5000, 2500));
  // The retransmitted 8th and 6th segments complete the stream.
  EXPECT_TRUE(accepted_as(write(8500, 500), Accept::out_of_order, 500));
  EXPECT_EQ(blocks(), (Blocks{{8000, 9000}}));
  EXPECT_TRUE(accepted_as(write(7500, 500), Accept::in_order, 500));
  EXPECT_EQ(buffer_.rcv_nxt(), at(9000));
  EXPECT_FALSE(buffer_.has_out_of_order());
  EXPECT_EQ(read(10000), stream(7500, 1500));
}

// RFC 2018 §6 case 2: the first segment is dropped; each later one extends the same block.
TEST_P(ReceiveBufferTest, Rfc2018Case2OneGrowingBlock) {
  start(8192, 5000);
  for (std::uint32_t seq = 5500; seq < 9000; seq += 500) {
    EXPECT_TRUE(accepted_as(write(seq, 500), Accept::out_of_order, 500));
    EXPECT_EQ(blocks(), (Blocks{{5500, seq + 500}}));
  }
  EXPECT_TRUE(accepted_as(write(5000, 500), Accept::in_order, 500));
  EXPECT_EQ(buffer_.rcv_nxt(), at(9000));
  EXPECT_EQ(read(10000), stream(5000, 4000));
}

// RFC 2883 §4 example 1: both ACKs are lost, 3000-3499 is retransmitted.
TEST_P(ReceiveBufferTest, DsackForASegmentBelowRcvNxt) {
  start(8192, 3000);
  write(3000, 500);
  write(3500, 500);
  EXPECT_TRUE(accepted_as(write(3000, 500), Accept::duplicate, 0));
  EXPECT_EQ(blocks(), (Blocks{{3000, 3500}}));  // ACK 4000, SACK=3000-3500
  buffer_.clear_dsack();
  EXPECT_EQ(blocks(), Blocks{});  // reported once
  EXPECT_EQ(buffer_.readable(), 1000u);
}

// RFC 2883 §4 example 2: a D-SACK comes first, the out-of-order block follows.
TEST_P(ReceiveBufferTest, DsackBeforeOutOfOrderBlocks) {
  start(8192, 3000);
  write(3000, 500);
  write(3500, 500);
  EXPECT_TRUE(accepted_as(write(4500, 500), Accept::out_of_order, 500));  // 4000-4499 was dropped
  EXPECT_EQ(blocks(), (Blocks{{4500, 5000}}));
  EXPECT_TRUE(accepted_as(write(3000, 500), Accept::duplicate, 0));
  EXPECT_EQ(blocks(), (Blocks{{3000, 3500}, {4500, 5000}}));  // ACK 4000
}

// RFC 2883 §4 example 3: the network duplicates an out-of-order segment. The D-SACK is followed
// by the block that contains it (RFC 2883 §4: "the second SACK block ... should specify this
// (possibly larger) block").
TEST_P(ReceiveBufferTest, DsackInsideAnOutOfOrderBlock) {
  start(8192, 3500);
  write(3500, 500);
  write(4500, 500);
  EXPECT_TRUE(accepted_as(write(5000, 500), Accept::out_of_order, 500));
  EXPECT_EQ(blocks(), (Blocks{{4500, 5500}}));
  EXPECT_TRUE(accepted_as(write(5000, 500), Accept::duplicate, 0));
  EXPECT_EQ(blocks(), (Blocks{{5000, 5500}, {4500, 5500}}));  // ACK 4000
  buffer_.clear_dsack();
  write(5500, 500);
  EXPECT_EQ(blocks(), (Blocks{{4500, 6000}}));
}

// RFC 2883 §4 example 4: a 1000-byte retransmission half of which arrived already.
TEST_P(ReceiveBufferTest, DsackForTheOldPartOfASegment) {
  start(8192, 500);
  write(500, 500);
  write(2000, 500);  // 1000-1499 delayed, 1500-1999 dropped
  EXPECT_EQ(blocks(), (Blocks{{2000, 2500}}));
  EXPECT_TRUE(accepted_as(write(1000, 500), Accept::in_order, 500));  // the delayed one: ACK 1500
  EXPECT_EQ(blocks(), (Blocks{{2000, 2500}}));
  EXPECT_TRUE(accepted_as(write(1000, 1000), Accept::in_order, 500));  // only 1500-1999 is new
  EXPECT_EQ(buffer_.rcv_nxt(), at(2500));
  EXPECT_EQ(blocks(), (Blocks{{1000, 1500}}));  // ACK 2500, SACK=1000-1500
  EXPECT_EQ(read(10000), stream(500, 2000));
}

// RFC 2883 §4 example 5: two duplicate pieces in one segment; only the first is reported.
TEST_P(ReceiveBufferTest, DsackReportsTheFirstOfTwoDuplicatePieces) {
  start(8192, 500);
  write(500, 500);
  write(3000, 500);
  write(1000, 500);
  write(2000, 500);
  EXPECT_EQ(blocks(), (Blocks{{2000, 2500}, {3000, 3500}}));  // ACK 1500
  EXPECT_TRUE(accepted_as(write(1000, 1500), Accept::in_order, 500));
  EXPECT_EQ(blocks(), (Blocks{{1000, 1500}, {3000, 3500}}));  // ACK 2500
}

TEST_P(ReceiveBufferTest, DsackStaysUntilSentOrReplaced) {
  start(8192, 0);
  write(0, 1000);
  write(0, 100);
  write(1000, 100);  // new in-order data before the ACK went out
  EXPECT_EQ(blocks(), (Blocks{{0, 100}}));
  write(500, 100);  // a newer duplicate replaces it
  EXPECT_EQ(blocks(), (Blocks{{500, 600}}));
}

TEST_P(ReceiveBufferTest, OverlapKeepsTheBytesReceivedFirst) {
  start(8192, 0);
  write(10, 10, 0);
  // [5, 25) with different contents: only [5, 10) and [20, 25) are new.
  EXPECT_TRUE(accepted_as(write(5, 20, 7), Accept::out_of_order, 10));
  EXPECT_EQ(blocks(), (Blocks{{10, 20}, {5, 25}}));  // D-SACK for [10, 20) first
  EXPECT_TRUE(accepted_as(write(0, 5), Accept::in_order, 5));
  std::vector<std::byte> expected = stream(0, 5);
  for (const auto& piece : {stream(5, 5, 7), stream(10, 10, 0), stream(20, 5, 7)}) {
    expected.insert(expected.end(), piece.begin(), piece.end());
  }
  EXPECT_EQ(read(100), expected);
}

TEST_P(ReceiveBufferTest, BlocksMostRecentFirstAndAtMostMax) {
  start(8192, 0);
  write(100, 10);
  write(300, 10);
  write(200, 10);
  write(400, 10);
  EXPECT_EQ(blocks(), (Blocks{{400, 410}, {200, 210}, {300, 310}, {100, 110}}));
  write(110, 5);  // extends the oldest: it becomes the first block
  EXPECT_EQ(blocks(3), (Blocks{{100, 115}, {400, 410}, {200, 210}}));
  write(300, 5);  // a duplicate: D-SACK, then its block, then the most recent others
  EXPECT_EQ(blocks(3), (Blocks{{300, 305}, {300, 310}, {100, 115}}));
  EXPECT_EQ(blocks(0), Blocks{});
}

TEST_P(ReceiveBufferTest, OutOfOrderRangesAreBounded) {
  start(8192, 0);
  // 32 one-byte ranges at 1, 3, 5, ..., 63.
  for (std::uint32_t i = 0; i < ReceiveBuffer::kMaxOutOfOrderRanges; ++i) {
    EXPECT_TRUE(accepted_as(write(2 * i + 1, 1), Accept::out_of_order, 1));
  }
  EXPECT_TRUE(accepted_as(write(100, 1), Accept::too_fragmented, 0));  // a 33rd range
  EXPECT_EQ(blocks(1), (Blocks{{63, 64}}));                            // nothing was recorded
  EXPECT_TRUE(accepted_as(write(64, 1), Accept::out_of_order, 1));     // extends the last range
  EXPECT_TRUE(accepted_as(write(2, 1), Accept::out_of_order, 1));      // joins two ranges: 31 left
  EXPECT_TRUE(accepted_as(write(100, 1), Accept::out_of_order, 1));    // so a new one fits again
  // In-order data is always accepted: [0, 1) joins the ranges up to 65.
  EXPECT_TRUE(accepted_as(write(0, 1), Accept::in_order, 1));
  EXPECT_EQ(buffer_.rcv_nxt(), at(4));
  // [4, 101) holds 29 one-byte ranges (5, 7, ..., 61), [63, 65) and [100, 101): 32 bytes.
  EXPECT_TRUE(accepted_as(write(4, 97), Accept::in_order, 97 - 32));
  EXPECT_EQ(buffer_.rcv_nxt(), at(101));
  EXPECT_FALSE(buffer_.has_out_of_order());
  EXPECT_EQ(read(200), stream(0, 101));
}

TEST_P(ReceiveBufferTest, StorageGrowsToCoverOutOfOrderData) {
  start(65536, 0);
  write(0, 100);
  EXPECT_EQ(buffer_.storage_size(), 4096u);
  write(10000, 100);  // needs 10100 bytes from the first unread byte
  EXPECT_EQ(buffer_.storage_size(), 16384u);
  write(100, 9900);
  EXPECT_EQ(read(20000), stream(0, 10100));
  buffer_.set_capacity(500);  // lowered: storage is kept, the window follows
  EXPECT_EQ(buffer_.window(), 500u);
}

TEST_P(ReceiveBufferTest, SmallCapacityNeverAllocatesMore) {
  start(1000, 0);
  write(900, 100);
  EXPECT_EQ(buffer_.storage_size(), 1000u);
}

TEST_P(ReceiveBufferTest, RingWrapsForInOrderAndOutOfOrderData) {
  start(4096, 0);
  write(0, 3000);
  EXPECT_EQ(read(2500), stream(0, 2500));
  // The first unread byte is at storage 2500, so stream [3000, 5000) lands at storage
  // [3000, 4096) and [0, 904). The out-of-order part goes in first, across the wrap.
  write(4000, 1000);
  EXPECT_TRUE(accepted_as(write(3000, 1000), Accept::in_order, 1000));
  EXPECT_EQ(buffer_.rcv_nxt(), at(5000));
  EXPECT_EQ(buffer_.storage_size(), 4096u);
  EXPECT_EQ(read(4096), stream(2500, 2500));
}

// Zero-copy reading: the waiting bytes in place, in two pieces where the ring wraps, and
// consume() taking part of them as read() would.
TEST_P(ReceiveBufferTest, ReadableBytesAreThePiecesInPlace) {
  start(4096, 0);
  EXPECT_TRUE(buffer_.readable_bytes()[0].empty());
  write(0, 3000);
  EXPECT_EQ(read(2500), stream(0, 2500));
  write(3000, 2000);  // storage [3000, 4096) and [0, 904)
  const auto pieces = buffer_.readable_bytes();
  ASSERT_EQ(pieces[0].size(), 1596u);  // stream [2500, 4096) at storage [2500, 4096)
  ASSERT_EQ(pieces[1].size(), 904u);   // stream [4096, 5000) at storage [0, 904)
  std::vector<std::byte> joined(pieces[0].begin(), pieces[0].end());
  joined.insert(joined.end(), pieces[1].begin(), pieces[1].end());
  EXPECT_EQ(joined, stream(2500, 2500));

  buffer_.consume(2000);  // into the second piece
  EXPECT_EQ(buffer_.readable(), 500u);
  EXPECT_EQ(buffer_.window(), 4096u - 500u);
  const auto rest = buffer_.readable_bytes();
  EXPECT_EQ(std::vector<std::byte>(rest[0].begin(), rest[0].end()), stream(4500, 500));
  EXPECT_TRUE(rest[1].empty());
  buffer_.consume(10000);  // no more than there is
  EXPECT_EQ(buffer_.readable(), 0u);
  EXPECT_TRUE(buffer_.readable_bytes()[0].empty());
}

TEST_P(ReceiveBufferTest, CapacityNeverDropsBelowHeldData) {
  start(1000, 0);
  write(0, 100);
  write(800, 200);  // held extent: [0, 1000)
  buffer_.set_capacity(300);
  EXPECT_EQ(buffer_.capacity(), 1000u);
  buffer_.set_capacity(5000);  // autotuning: the window grows at once
  EXPECT_EQ(buffer_.window(), 4900u);
  EXPECT_TRUE(accepted_as(write(1000, 3000), Accept::out_of_order, 3000));
  EXPECT_TRUE(accepted_as(write(100, 700), Accept::in_order, 700));
  EXPECT_EQ(read(5000), stream(0, 4000));
}

TEST_P(ReceiveBufferTest, ReleasesStorageOnlyWhenNothingIsHeld) {
  start(65536, 0);
  EXPECT_FALSE(buffer_.release_if_empty());
  write(10, 10);
  EXPECT_FALSE(buffer_.release_if_empty());  // out-of-order data held
  write(0, 10);
  EXPECT_FALSE(buffer_.release_if_empty());  // unread data held
  read(100);
  EXPECT_TRUE(buffer_.release_if_empty());
  EXPECT_EQ(buffer_.storage_size(), 0u);
  EXPECT_TRUE(accepted_as(write(20, 5000), Accept::in_order, 5000));
  EXPECT_EQ(buffer_.storage_size(), 8192u);
  EXPECT_EQ(read(10000), stream(20, 5000));
}

// Random segments (old, overlapping, out of order, beyond the window) and random reads, checked
// against a byte-by-byte model of RFC 9293 §3.10.7.4 acceptance and RFC 2018 reporting.
TEST_P(ReceiveBufferTest, MatchesAByteModel) {
  constexpr std::size_t kCapacity = 3000;
  // Starts at 1000 so that segments may begin up to 500 bytes below RCV.NXT from the first step.
  start(kCapacity, 1000);
  Random random(GetParam() + 7);
  std::vector<bool> received(1 << 22);
  std::size_t next = 1000;    // model RCV.NXT
  std::size_t unread = 1000;  // first unread byte
  for (int step = 0; step < 4000; ++step) {
    const std::size_t window = kCapacity - (next - unread);
    const std::size_t from = next - 500;
    // Segments up to 600 bytes anywhere, alternating every 100 steps with phases of single
    // bytes at odd distances above RCV.NXT, which fragment the data up to the range bound.
    const bool speck = (step / 100) % 2 == 1;
    const std::size_t offset = speck ? next + 1 + 2 * random.below(window / 2 + 1)
                                     : from + random.below(next - from + window + 300);
    const std::size_t size = speck ? 1 : 1 + random.below(600);
    const auto result = write(static_cast<std::uint32_t>(offset), size);
    // The model: the part inside [next, next + window), its new bytes, its range count.
    const std::size_t lo = std::max(offset, next);
    const std::size_t hi = std::min(offset + size, next + window);
    std::size_t fresh = 0;
    for (std::size_t i = lo; i < hi; ++i) fresh += received[i] ? 0 : 1;
    const auto held_after = [&](std::size_t i) { return received[i] || (lo <= i && i < hi); };
    std::size_t ranges = 0;
    for (std::size_t i = next + 1; i < next + kCapacity; ++i) {
      ranges += held_after(i) && !held_after(i - 1) ? 1 : 0;
    }
    Accept kind = Accept::duplicate;
    if (offset + size <= next) {
      fresh = 0;
    } else if (hi <= lo) {
      kind = Accept::outside_window;
    } else if (lo > next && ranges > ReceiveBuffer::kMaxOutOfOrderRanges) {
      kind = Accept::too_fragmented;
      fresh = 0;
    } else {
      for (std::size_t i = lo; i < hi; ++i) received[i] = true;
      if (fresh != 0) kind = lo == next ? Accept::in_order : Accept::out_of_order;
      while (received[next]) ++next;
    }
    ASSERT_TRUE(accepted_as(result, kind, fresh)) << "step " << step;
    ASSERT_EQ(buffer_.rcv_nxt(), at(static_cast<std::uint32_t>(next))) << "step " << step;
    // The SACK blocks, without the D-SACK, cover exactly the bytes held above RCV.NXT.
    buffer_.clear_dsack();
    std::vector<bool> reported(kCapacity);
    for (const auto& [begin, end] : blocks(ReceiveBuffer::kMaxOutOfOrderRanges + 1)) {
      for (std::uint32_t i = begin; i < end; ++i) reported[i - next] = true;
    }
    for (std::size_t i = 0; i < kCapacity; ++i) {
      ASSERT_EQ(reported[i], received[next + i]) << "byte " << next + i;
    }
    const std::size_t wanted = random.below(700);
    ASSERT_EQ(read(wanted), stream(unread, std::min(wanted, next - unread)));
    unread += std::min(wanted, next - unread);
    ASSERT_LE(buffer_.storage_size(), kCapacity);
  }
  EXPECT_GT(next, 50000u);  // the test went around the ring many times
}

}  // namespace
}  // namespace tapstack
