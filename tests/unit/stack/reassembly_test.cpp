#include "stack/ipv4/reassembly.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

namespace tapstack {
namespace {

using namespace std::chrono_literals;

constexpr FragmentKey kKey{Ipv4Addr(10, 0, 0, 1), Ipv4Addr(10, 0, 0, 2), 17, 0x1234};

FragmentKey key_with_id(std::uint16_t id) {
  FragmentKey key = kKey;
  key.id = id;
  return key;
}

// Bytes that differ from position to position (period 251), so misplaced data shows.
std::vector<std::byte> pattern(std::size_t size, unsigned seed = 0) {
  std::vector<std::byte> bytes(size);
  for (std::size_t i = 0; i < size; ++i) bytes[i] = std::byte((i + seed) % 251);
  return bytes;
}

// Splits `payload` into fragments of `size` bytes (the last one shorter), as a sender would.
std::vector<Fragment> split(const FragmentKey& key, std::span<const std::byte> payload,
                            std::size_t size) {
  std::vector<Fragment> fragments;
  for (std::size_t offset = 0; offset < payload.size(); offset += size) {
    const std::size_t length = std::min(size, payload.size() - offset);
    fragments.push_back(Fragment{.key = key,
                                 .offset = offset,
                                 .more_fragments = offset + length < payload.size(),
                                 .payload = payload.subspan(offset, length)});
  }
  return fragments;
}

Fragment piece(std::span<const std::byte> payload, std::size_t offset, std::size_t length,
               bool more_fragments, const FragmentKey& key = kKey) {
  return Fragment{.key = key,
                  .offset = offset,
                  .more_fragments = more_fragments,
                  .payload = payload.subspan(offset, length)};
}

constexpr std::size_t charge(std::size_t bytes) {
  return bytes + ReassemblyQueue::kFragmentOverhead;
}

class ReassemblyTest : public ::testing::Test {
 protected:
  // Offers the fragments in `order`; expects only the last to complete the datagram.
  std::optional<ReassembledDatagram> offer_in_order(const std::vector<Fragment>& fragments,
                                                    const std::vector<std::size_t>& order) {
    for (std::size_t i = 0; i + 1 < order.size(); ++i) {
      EXPECT_FALSE(queue_.add(fragments[order[i]], at(1s))) << "fragment " << order[i];
    }
    return queue_.add(fragments[order.back()], at(1s));
  }

  void expect_empty() const {
    EXPECT_EQ(queue_.memory_used(), 0u);
    EXPECT_EQ(queue_.datagrams(), 0u);
    EXPECT_EQ(queue_.next_deadline(), kNever);
  }

  std::uint64_t count(Counter c) const { return counters_.get(c); }

  const std::vector<std::byte> payload_ = pattern(8000);
  // 8000 bytes in 1480-byte fragments: 5 full ones and a last one of 600 bytes.
  const std::vector<Fragment> fragments_ = split(kKey, payload_, 1480);
  Counters counters_;
  ReassemblySettings settings_;
  ReassemblyQueue queue_{settings_, counters_};
};

TEST_F(ReassemblyTest, ReassemblesInAnyArrivalOrder) {
  const std::vector<std::vector<std::size_t>> orders = {
      {0, 1, 2, 3, 4, 5}, {2, 0, 4, 1, 5, 3}, {5, 4, 3, 2, 1, 0}, {5, 0, 1, 2, 3, 4}};
  ASSERT_EQ(fragments_.size(), 6u);
  for (const auto& order : orders) {
    const auto datagram = offer_in_order(fragments_, order);
    ASSERT_TRUE(datagram);
    EXPECT_EQ(datagram->key, kKey);
    EXPECT_TRUE(std::ranges::equal(datagram->payload, payload_));
    expect_empty();
  }
  EXPECT_EQ(count(Counter::ipv4_frag_rx_fragments), 24u);
  EXPECT_EQ(count(Counter::ipv4_frag_reassembled), 4u);
}

TEST_F(ReassemblyTest, InterleavedDatagramsAreKeptApart) {
  // Same addresses and protocol, different id; and same id, different protocol (RFC 791 §3.2).
  FragmentKey other_protocol = kKey;
  other_protocol.protocol = 6;
  const auto payload_b = pattern(3000, 7);
  const auto payload_c = pattern(5000, 13);
  const auto fragments_b = split(key_with_id(0x4321), payload_b, 1480);
  const auto fragments_c = split(other_protocol, payload_c, 1480);

  EXPECT_FALSE(queue_.add(fragments_[0], at(0s)));
  EXPECT_FALSE(queue_.add(fragments_b[2], at(0s)));
  EXPECT_FALSE(queue_.add(fragments_c[1], at(0s)));
  for (std::size_t i = 1; i < 5; ++i) EXPECT_FALSE(queue_.add(fragments_[i], at(0s)));
  EXPECT_FALSE(queue_.add(fragments_b[0], at(0s)));
  EXPECT_FALSE(queue_.add(fragments_c[0], at(0s)));
  EXPECT_FALSE(queue_.add(fragments_c[3], at(0s)));
  EXPECT_EQ(queue_.datagrams(), 3u);

  const auto b = queue_.add(fragments_b[1], at(0s));
  ASSERT_TRUE(b);
  EXPECT_EQ(b->key, key_with_id(0x4321));
  EXPECT_TRUE(std::ranges::equal(b->payload, payload_b));
  const auto a = queue_.add(fragments_[5], at(0s));
  ASSERT_TRUE(a);
  EXPECT_EQ(a->key, kKey);
  EXPECT_TRUE(std::ranges::equal(a->payload, payload_));
  const auto c = queue_.add(fragments_c[2], at(0s));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->key, other_protocol);
  EXPECT_TRUE(std::ranges::equal(c->payload, payload_c));
  EXPECT_EQ(count(Counter::ipv4_frag_reassembled), 3u);
  expect_empty();
}

TEST_F(ReassemblyTest, ExactDuplicatesAreIgnored) {
  EXPECT_FALSE(queue_.add(fragments_[0], at(0s)));
  EXPECT_FALSE(queue_.add(fragments_[5], at(0s)));
  const std::size_t memory = queue_.memory_used();
  EXPECT_FALSE(queue_.add(fragments_[0], at(0s)));
  EXPECT_FALSE(queue_.add(fragments_[5], at(0s)));
  EXPECT_EQ(count(Counter::ipv4_frag_duplicates), 2u);
  EXPECT_EQ(queue_.memory_used(), memory);
  const auto datagram = offer_in_order(fragments_, {1, 2, 3, 4});
  ASSERT_TRUE(datagram);
  EXPECT_TRUE(std::ranges::equal(datagram->payload, payload_));
  EXPECT_EQ(count(Counter::ipv4_frag_drop_overlap), 0u);
  expect_empty();
}

TEST_F(ReassemblyTest, PartialOverlapsDiscardTheWholeDatagram) {
  struct Case {
    const char* name;
    std::size_t offset;
    std::size_t length;
  };
  // Held: [0, 1480) and [2960, 4440).
  const Case cases[] = {
      {"tail overlap", 1472, 16},
      {"head overlap", 2952, 16},
      {"same offset, shorter", 0, 8},
      {"same offset, longer", 2960, 2960},
      {"inside (teardrop)", 8, 16},
      {"covers a hole and both", 1472, 1496},
      {"covers a held fragment", 2952, 1504},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_FALSE(queue_.add(fragments_[0], at(0s)));
    EXPECT_FALSE(queue_.add(fragments_[2], at(0s)));
    const std::uint64_t before = count(Counter::ipv4_frag_drop_overlap);
    EXPECT_FALSE(queue_.add(piece(payload_, c.offset, c.length, true), at(0s)));
    EXPECT_EQ(count(Counter::ipv4_frag_drop_overlap), before + 1);
    expect_empty();
  }
  // Later fragments of a discarded datagram start over and cannot complete it on their own.
  EXPECT_FALSE(offer_in_order(fragments_, {1, 3, 4, 5}));
  EXPECT_EQ(queue_.datagrams(), 1u);
  EXPECT_EQ(count(Counter::ipv4_frag_reassembled), 0u);
  EXPECT_EQ(count(Counter::ipv4_frag_duplicates), 0u);
}

TEST_F(ReassemblyTest, MalformedFragmentsAreDroppedAlone) {
  EXPECT_FALSE(queue_.add(fragments_[0], at(0s)));
  // RFC 791: only the last fragment may carry a length that is not a multiple of 8.
  EXPECT_FALSE(queue_.add(piece(payload_, 1480, 1001, true), at(0s)));
  EXPECT_FALSE(queue_.add(piece(payload_, 1480, 0, true), at(0s)));
  EXPECT_FALSE(queue_.add(piece(payload_, 8000, 0, false), at(0s)));
  EXPECT_EQ(count(Counter::ipv4_frag_drop_bad_fragment), 3u);
  EXPECT_EQ(queue_.datagrams(), 1u);
  EXPECT_EQ(queue_.memory_used(), ReassemblyQueue::kDatagramOverhead + charge(1480));

  const auto datagram = offer_in_order(fragments_, {1, 2, 3, 4, 5});
  ASSERT_TRUE(datagram);
  EXPECT_TRUE(std::ranges::equal(datagram->payload, payload_));
  expect_empty();
}

TEST_F(ReassemblyTest, ConflictingEndsDiscardTheDatagram) {
  // Two different last fragments.
  EXPECT_FALSE(queue_.add(fragments_[5], at(0s)));
  EXPECT_FALSE(queue_.add(piece(payload_, 1480, 1000, false), at(0s)));
  EXPECT_EQ(count(Counter::ipv4_frag_drop_bad_fragment), 1u);
  expect_empty();

  // Data past a known end.
  EXPECT_FALSE(queue_.add(piece(payload_, 1480, 1000, false), at(0s)));
  EXPECT_FALSE(queue_.add(piece(payload_, 2480, 8, true), at(0s)));
  EXPECT_EQ(count(Counter::ipv4_frag_drop_bad_fragment), 2u);
  expect_empty();

  // A last fragment ending before data already held.
  EXPECT_FALSE(queue_.add(fragments_[3], at(0s)));
  EXPECT_FALSE(queue_.add(piece(payload_, 0, 1000, false), at(0s)));
  EXPECT_EQ(count(Counter::ipv4_frag_drop_bad_fragment), 3u);
  expect_empty();
  EXPECT_EQ(count(Counter::ipv4_frag_drop_overlap), 0u);
}

TEST_F(ReassemblyTest, PayloadMayNotExceedTheIpv4TotalLength) {
  const auto largest = pattern(ReassemblyQueue::kMaxPayload, 3);
  const auto fragments = split(kKey, largest, 1480);
  std::vector<std::size_t> order(fragments.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = order.size() - 1 - i;
  const auto datagram = offer_in_order(fragments, order);
  ASSERT_TRUE(datagram);
  EXPECT_EQ(datagram->payload.size(), 65515u);
  EXPECT_TRUE(std::ranges::equal(datagram->payload, largest));
  expect_empty();

  // Ping of death: the largest offset field with a payload that ends past 65515.
  const auto big = pattern(65528 + 8);
  EXPECT_FALSE(queue_.add(piece(big, 65512, 8, false), at(0s)));
  EXPECT_FALSE(queue_.add(piece(big, 65528, 8, true), at(0s)));
  EXPECT_EQ(count(Counter::ipv4_frag_drop_too_big), 2u);
  expect_empty();
}

TEST_F(ReassemblyTest, TimerRunsFromTheFirstFragment) {
  EXPECT_FALSE(queue_.add(fragments_[0], at(10s)));
  EXPECT_FALSE(queue_.add(fragments_[1], at(35s)));
  EXPECT_EQ(queue_.next_deadline(), at(40s));
  queue_.poll(at(40s) - 1ns);
  EXPECT_EQ(queue_.datagrams(), 1u);
  queue_.poll(at(40s));
  EXPECT_EQ(count(Counter::ipv4_frag_drop_timeout), 1u);
  expect_empty();
}

TEST_F(ReassemblyTest, LateFragmentsDoNotJoinAnExpiredDatagram) {
  EXPECT_FALSE(queue_.add(fragments_[0], at(0s)));
  EXPECT_FALSE(queue_.add(fragments_[1], at(1s)));
  EXPECT_FALSE(queue_.add(fragments_[2], at(2s)));
  EXPECT_FALSE(queue_.add(fragments_[3], at(3s)));
  EXPECT_FALSE(queue_.add(fragments_[4], at(4s)));
  // No poll() in between: add() expires the old datagram itself.
  EXPECT_FALSE(queue_.add(fragments_[5], at(30s)));
  EXPECT_EQ(count(Counter::ipv4_frag_drop_timeout), 1u);
  EXPECT_EQ(queue_.datagrams(), 1u);
  EXPECT_EQ(queue_.next_deadline(), at(60s));
  queue_.poll(at(60s));
  EXPECT_EQ(count(Counter::ipv4_frag_drop_timeout), 2u);
  EXPECT_EQ(count(Counter::ipv4_frag_reassembled), 0u);
  expect_empty();
}

TEST_F(ReassemblyTest, NextDeadlineIsTheOldestDatagrams) {
  EXPECT_FALSE(queue_.add(fragments_[0], at(5s)));
  EXPECT_FALSE(queue_.add(split(key_with_id(2), payload_, 1480)[0], at(7s)));
  EXPECT_EQ(queue_.next_deadline(), at(35s));
  queue_.poll(at(35s));
  EXPECT_EQ(queue_.next_deadline(), at(37s));
  queue_.poll(at(37s));
  expect_empty();
}

class ReassemblyMemoryTest : public ReassemblyTest {
 protected:
  static constexpr std::size_t kOneFragmentDatagram =
      ReassemblyQueue::kDatagramOverhead + charge(1480);

  ReassemblyQueue make_queue(std::size_t memory_limit) {
    settings_.memory_limit = memory_limit;
    return ReassemblyQueue(settings_, counters_);
  }
};

TEST_F(ReassemblyMemoryTest, EvictsTheOldestDatagramsToMakeRoom) {
  auto queue = make_queue(3 * kOneFragmentDatagram);
  std::vector<std::vector<Fragment>> datagrams;
  for (std::uint16_t id = 1; id <= 4; ++id)
    datagrams.push_back(split(key_with_id(id), payload_, 1480));

  for (std::size_t i = 0; i < 3; ++i) EXPECT_FALSE(queue.add(datagrams[i][0], at(0s)));
  EXPECT_EQ(queue.memory_used(), 3 * kOneFragmentDatagram);
  EXPECT_EQ(count(Counter::ipv4_frag_drop_memory_cap), 0u);

  // A fourth datagram pushes out the first.
  EXPECT_FALSE(queue.add(datagrams[3][0], at(1s)));
  EXPECT_EQ(count(Counter::ipv4_frag_drop_memory_cap), 1u);
  EXPECT_EQ(queue.datagrams(), 3u);
  EXPECT_EQ(queue.next_deadline(), at(30s));

  // Growing the oldest (id 2) evicts the next oldest (id 3), never the datagram being added to.
  EXPECT_FALSE(queue.add(datagrams[1][1], at(2s)));
  EXPECT_EQ(count(Counter::ipv4_frag_drop_memory_cap), 2u);
  EXPECT_EQ(queue.datagrams(), 2u);
  EXPECT_EQ(queue.memory_used(), 3 * kOneFragmentDatagram - ReassemblyQueue::kDatagramOverhead);
  EXPECT_LE(queue.memory_used(), settings_.memory_limit);

  // Id 2 grows further only by evicting id 4, then the last of its fragments cannot fit at all.
  EXPECT_FALSE(queue.add(datagrams[1][2], at(3s)));
  EXPECT_EQ(count(Counter::ipv4_frag_drop_memory_cap), 3u);
  EXPECT_EQ(queue.datagrams(), 1u);
  EXPECT_FALSE(queue.add(datagrams[1][3], at(3s)));
  EXPECT_EQ(count(Counter::ipv4_frag_drop_memory_cap), 4u);
  EXPECT_EQ(queue.memory_used(), 0u);
  EXPECT_EQ(queue.datagrams(), 0u);
}

TEST_F(ReassemblyMemoryTest, CompletedDatagramsReleaseTheirMemory) {
  // Exactly enough for one 8000-byte datagram in six fragments.
  auto queue = make_queue(ReassemblyQueue::kDatagramOverhead + 8000 +
                          6 * ReassemblyQueue::kFragmentOverhead);
  for (int round = 0; round < 3; ++round) {
    for (std::size_t i = 0; i < 5; ++i) EXPECT_FALSE(queue.add(fragments_[i], at(0s)));
    const auto datagram = queue.add(fragments_[5], at(0s));
    ASSERT_TRUE(datagram);
    EXPECT_TRUE(std::ranges::equal(datagram->payload, payload_));
    EXPECT_EQ(queue.memory_used(), 0u);
  }
  EXPECT_EQ(count(Counter::ipv4_frag_drop_memory_cap), 0u);
  EXPECT_EQ(count(Counter::ipv4_frag_reassembled), 3u);
}

TEST_F(ReassemblyMemoryTest, AFragmentLargerThanTheLimitIsDropped) {
  auto queue = make_queue(kOneFragmentDatagram - 1);
  EXPECT_FALSE(queue.add(fragments_[0], at(0s)));
  EXPECT_EQ(count(Counter::ipv4_frag_drop_memory_cap), 1u);
  EXPECT_EQ(queue.memory_used(), 0u);
  EXPECT_EQ(queue.datagrams(), 0u);
  // A smaller fragment still fits.
  EXPECT_FALSE(queue.add(fragments_[5], at(0s)));
  EXPECT_EQ(queue.datagrams(), 1u);
  EXPECT_EQ(queue.memory_used(), ReassemblyQueue::kDatagramOverhead + charge(600));
}

TEST_F(ReassemblyMemoryTest, TinyFragmentsAreChargedForTheirBookkeeping) {
  // 8-byte fragments with holes between them: bookkeeping dominates, and the limit bounds it.
  constexpr std::size_t kLimit = 64 * 1024;
  auto queue = make_queue(kLimit);
  const auto big = pattern(ReassemblyQueue::kMaxPayload);
  std::size_t offered = 0;
  while (count(Counter::ipv4_frag_drop_memory_cap) == 0) {
    ASSERT_LE(offered * 16 + 8, big.size());
    EXPECT_FALSE(queue.add(piece(big, offered * 16, 8, true), at(0s)));
    EXPECT_LE(queue.memory_used(), kLimit);
    ++offered;
  }
  // The datagram held as many fragments as fit; the next one could never fit, so it went.
  EXPECT_EQ(offered - 1, (kLimit - ReassemblyQueue::kDatagramOverhead) / charge(8));
  EXPECT_EQ(queue.datagrams(), 0u);
  EXPECT_EQ(queue.memory_used(), 0u);
}

}  // namespace
}  // namespace tapstack
