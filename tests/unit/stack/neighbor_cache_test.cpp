// The neighbour cache alone, on virtual time: resolution, retries (RFC 1122 §2.3.2.1), the
// pending queue (§2.3.2.2), the RFC 826 merge rule, aging and the table bound.
#include "stack/arp/neighbor_cache.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <vector>

namespace tapstack {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Result = NeighborCache::EnqueueResult;

constexpr Ipv4Addr kA{10, 0, 0, 1};
constexpr Ipv4Addr kB{10, 0, 0, 2};
constexpr Ipv4Addr kC{10, 0, 0, 3};
constexpr Ipv4Addr kD{10, 0, 0, 4};
constexpr MacAddr kMacA{{2, 0, 0, 0, 0, 0xa}};
constexpr MacAddr kMacB{{2, 0, 0, 0, 0, 0xb}};
constexpr MacAddr kMacC{{2, 0, 0, 0, 0, 0xc}};

class NeighborCacheTest : public ::testing::Test {
 protected:
  NeighborCacheTest() { make({}); }

  void make(const NeighborSettings& settings) { cache_.emplace(settings, counters_); }

  void TearDown() override {
    // Every packet is in the cache, in `ready_` or back in the pool; destroying the cache and
    // the ready list returns them all.
    EXPECT_EQ(pool_.available() + cache_->pending_packets() + ready_.size(), pool_.slot_count());
    ready_.clear();
    cache_.reset();
    EXPECT_EQ(pool_.available(), pool_.slot_count());
  }

  // An IPv4 packet whose single payload byte identifies it, with room for an Ethernet header.
  PacketBuffer packet(std::uint8_t tag) {
    auto buffer = pool_.acquire(14);
    EXPECT_TRUE(buffer);
    buffer->append(1)[0] = std::byte{tag};
    return std::move(*buffer);
  }

  Result enqueue(Ipv4Addr ip, std::uint8_t tag, Instant now) {
    return cache_->enqueue(ip, packet(tag), now);
  }

  std::vector<Ipv4Addr> poll(Instant now) {
    std::vector<Ipv4Addr> requests;
    cache_->poll(now, requests);
    return requests;
  }

  std::vector<int> ready_tags() const {
    std::vector<int> tags;
    for (const PacketBuffer& p : ready_) tags.push_back(std::to_integer<int>(p.data()[0]));
    return tags;
  }

  std::uint64_t count(Counter c) const { return counters_.get(c); }

  BufferPool pool_{32, 64};  // declared first: outlives the cache and the ready list
  Counters counters_;
  std::vector<PacketBuffer> ready_;
  std::optional<NeighborCache> cache_;
};

TEST_F(NeighborCacheTest, FirstPacketAsksAndLaterOnesWaitBehindTheRequest) {
  EXPECT_EQ(enqueue(kA, 1, at(seconds(0))), Result::send_request);
  EXPECT_EQ(cache_->size(), 1u);
  // A request is outstanding: the packet waits for its reply or retry; no second request goes
  // out before the retransmit interval (RFC 1122 §2.3.2.1), checked by send_request above only.
  EXPECT_EQ(enqueue(kA, 2, at(milliseconds(500))), Result::queued);
  EXPECT_EQ(enqueue(kA, 3, at(milliseconds(999))), Result::queued);
  EXPECT_EQ(cache_->pending_packets(), 3u);
  EXPECT_EQ(cache_->lookup(kA, at(milliseconds(999))), std::nullopt);
  EXPECT_EQ(cache_->next_deadline(), at(seconds(1)));
}

TEST_F(NeighborCacheTest, RetriesOncePerIntervalThenFailsAndDropsTheQueue) {
  EXPECT_EQ(enqueue(kA, 1, at(seconds(0))), Result::send_request);
  EXPECT_EQ(enqueue(kA, 2, at(milliseconds(10))), Result::queued);
  EXPECT_TRUE(poll(at(milliseconds(999))).empty());
  EXPECT_EQ(poll(at(seconds(1))), std::vector{kA});
  EXPECT_TRUE(poll(at(milliseconds(1999))).empty());
  EXPECT_EQ(cache_->next_deadline(), at(seconds(2)));
  EXPECT_EQ(poll(at(seconds(2))), std::vector{kA});  // the third and last request
  EXPECT_TRUE(poll(at(milliseconds(2999))).empty());
  EXPECT_EQ(cache_->size(), 1u);
  EXPECT_TRUE(poll(at(seconds(3))).empty());  // one interval after the last request: failed
  EXPECT_EQ(cache_->size(), 0u);
  EXPECT_EQ(cache_->next_deadline(), kNever);
  EXPECT_EQ(count(Counter::arp_resolution_failed), 1u);
  EXPECT_EQ(count(Counter::arp_pending_dropped_unresolved), 2u);
  EXPECT_EQ(pool_.available(), pool_.slot_count());
  // The next packet starts a new resolution.
  EXPECT_EQ(enqueue(kA, 3, at(seconds(3))), Result::send_request);
}

TEST_F(NeighborCacheTest, RetriesFollowTheSettings) {
  make({.reachable_time = seconds(5), .retransmit_interval = milliseconds(250), .max_requests = 2});
  EXPECT_EQ(enqueue(kA, 1, at(seconds(0))), Result::send_request);
  EXPECT_EQ(poll(at(milliseconds(250))), std::vector{kA});
  EXPECT_TRUE(poll(at(milliseconds(499))).empty());
  EXPECT_TRUE(poll(at(milliseconds(500))).empty());
  EXPECT_EQ(cache_->size(), 0u);
  EXPECT_EQ(count(Counter::arp_resolution_failed), 1u);
}

TEST_F(NeighborCacheTest, LatePollSendsOneRetryNotABurst) {
  EXPECT_EQ(enqueue(kA, 1, at(seconds(0))), Result::send_request);
  EXPECT_EQ(poll(at(milliseconds(2500))), std::vector{kA});
  EXPECT_EQ(cache_->next_deadline(), at(milliseconds(3500)));
}

TEST_F(NeighborCacheTest, EnqueueRunsADueTimerAsPollWould) {
  EXPECT_EQ(enqueue(kA, 1, at(seconds(0))), Result::send_request);
  // The retry is due at 1 s and poll() has not run: this packet's caller sends it.
  EXPECT_EQ(enqueue(kA, 2, at(milliseconds(1500))), Result::send_request);
  EXPECT_TRUE(poll(at(milliseconds(1500))).empty());  // no duplicate
  EXPECT_EQ(poll(at(milliseconds(2500))), std::vector{kA});
  // All three requests sent and the last one unanswered: the old entry fails with its two
  // packets, and this packet starts a new resolution.
  EXPECT_EQ(enqueue(kA, 3, at(milliseconds(3500))), Result::send_request);
  EXPECT_EQ(count(Counter::arp_resolution_failed), 1u);
  EXPECT_EQ(count(Counter::arp_pending_dropped_unresolved), 2u);
  EXPECT_EQ(cache_->pending_packets(), 1u);
}

TEST_F(NeighborCacheTest, LearnReleasesQueuedPacketsInOrder) {
  ready_.push_back(packet(99));  // `ready` is appended to, not replaced
  EXPECT_EQ(enqueue(kA, 1, at(seconds(0))), Result::send_request);
  EXPECT_EQ(enqueue(kA, 2, at(milliseconds(1))), Result::queued);
  EXPECT_EQ(enqueue(kB, 7, at(milliseconds(1))), Result::send_request);
  EXPECT_EQ(enqueue(kA, 3, at(milliseconds(2))), Result::queued);
  cache_->learn(kA, kMacA, at(milliseconds(5)), /*create=*/false, ready_);
  EXPECT_EQ(ready_tags(), (std::vector{99, 1, 2, 3}));
  EXPECT_EQ(cache_->lookup(kA, at(milliseconds(5))), kMacA);
  EXPECT_EQ(cache_->pending_packets(), 1u);  // kB still waits
  EXPECT_EQ(cache_->lookup(kB, at(milliseconds(5))), std::nullopt);
  // The reply also stops the retries for kA.
  EXPECT_EQ(poll(at(milliseconds(1001))), std::vector{kB});
}

TEST_F(NeighborCacheTest, MergeRuleCreatesEntriesOnlyWhenAddressedToUs) {
  // RFC 826: a packet not for us (e.g. someone else's request) only updates existing entries.
  cache_->learn(kA, kMacA, at(seconds(0)), /*create=*/false, ready_);
  EXPECT_EQ(cache_->size(), 0u);
  EXPECT_EQ(cache_->lookup(kA, at(seconds(0))), std::nullopt);
  cache_->learn(kA, kMacA, at(seconds(1)), /*create=*/true, ready_);
  EXPECT_EQ(cache_->lookup(kA, at(seconds(1))), kMacA);
  // The neighbour changed its MAC: any ARP packet from it updates the entry and refreshes it.
  cache_->learn(kA, kMacB, at(seconds(20)), /*create=*/false, ready_);
  EXPECT_EQ(cache_->lookup(kA, at(seconds(45))), kMacB);
  EXPECT_TRUE(ready_.empty());
}

TEST_F(NeighborCacheTest, EntriesAgeOutAfterReachableTime) {
  cache_->learn(kA, kMacA, at(seconds(0)), true, ready_);
  EXPECT_EQ(cache_->next_deadline(), at(seconds(30)));
  EXPECT_TRUE(poll(at(milliseconds(29999))).empty());
  EXPECT_EQ(cache_->lookup(kA, at(milliseconds(29999))), kMacA);
  // Stale from 30 s on, even before poll() removes it.
  EXPECT_EQ(cache_->lookup(kA, at(seconds(30))), std::nullopt);
  EXPECT_EQ(cache_->size(), 1u);
  EXPECT_TRUE(poll(at(seconds(30))).empty());  // aging sends nothing
  EXPECT_EQ(cache_->size(), 0u);
  EXPECT_EQ(cache_->next_deadline(), kNever);
}

TEST_F(NeighborCacheTest, AnExpiredEntryIsResolvedAgain) {
  cache_->learn(kA, kMacA, at(seconds(0)), true, ready_);
  // poll() has not removed it yet: the packet still restarts resolution.
  EXPECT_EQ(enqueue(kA, 1, at(seconds(31))), Result::send_request);
  EXPECT_EQ(cache_->lookup(kA, at(seconds(31))), std::nullopt);
  EXPECT_EQ(cache_->next_deadline(), at(seconds(32)));
  cache_->learn(kA, kMacB, at(seconds(31)), false, ready_);
  EXPECT_EQ(ready_tags(), std::vector{1});
}

TEST_F(NeighborCacheTest, PendingOverflowDropsTheOldest) {
  make({.max_pending_packets = 3});
  EXPECT_EQ(enqueue(kA, 1, at(seconds(0))), Result::send_request);
  for (std::uint8_t tag = 2; tag <= 5; ++tag) {
    EXPECT_EQ(enqueue(kA, tag, at(milliseconds(tag))), Result::queued);
  }
  EXPECT_EQ(cache_->pending_packets(), 3u);
  EXPECT_EQ(count(Counter::arp_pending_overflow), 2u);
  EXPECT_EQ(pool_.available(), pool_.slot_count() - 3);  // dropped packets went back
  cache_->learn(kA, kMacA, at(milliseconds(10)), false, ready_);
  EXPECT_EQ(ready_tags(), (std::vector{3, 4, 5}));
}

TEST_F(NeighborCacheTest, FullTableEvictsTheLeastRecentlyConfirmedEntry) {
  make({.max_entries = 3});
  cache_->learn(kA, kMacA, at(seconds(0)), true, ready_);
  cache_->learn(kB, kMacB, at(seconds(1)), true, ready_);
  cache_->learn(kC, kMacC, at(seconds(2)), true, ready_);
  cache_->learn(kA, kMacA, at(seconds(3)), false, ready_);  // kA confirmed again: kB is oldest
  EXPECT_EQ(enqueue(kD, 1, at(seconds(4))), Result::send_request);
  EXPECT_EQ(cache_->size(), 3u);
  EXPECT_EQ(cache_->lookup(kB, at(seconds(4))), std::nullopt);
  EXPECT_EQ(cache_->lookup(kA, at(seconds(4))), kMacA);
  EXPECT_EQ(cache_->lookup(kC, at(seconds(4))), kMacC);
  cache_->learn(kB, kMacB, at(seconds(5)), true, ready_);  // evicts kC, never the resolving kD
  EXPECT_EQ(cache_->lookup(kC, at(seconds(5))), std::nullopt);
  EXPECT_EQ(cache_->pending_packets(), 1u);
  EXPECT_EQ(count(Counter::arp_table_full), 0u);
}

TEST_F(NeighborCacheTest, FullTableOfResolutionsDropsNewAddresses) {
  make({.max_entries = 2});
  EXPECT_EQ(enqueue(kA, 1, at(seconds(0))), Result::send_request);
  EXPECT_EQ(enqueue(kB, 2, at(seconds(0))), Result::send_request);
  EXPECT_EQ(enqueue(kC, 3, at(milliseconds(10))), Result::dropped);
  EXPECT_EQ(count(Counter::arp_table_full), 1u);
  EXPECT_EQ(pool_.available(), pool_.slot_count() - 2);          // the dropped packet went back
  cache_->learn(kC, kMacC, at(milliseconds(20)), true, ready_);  // not cached either
  EXPECT_EQ(count(Counter::arp_table_full), 2u);
  EXPECT_EQ(cache_->size(), 2u);
  EXPECT_EQ(cache_->lookup(kC, at(milliseconds(20))), std::nullopt);
  // Packets to known, resolving addresses are still queued.
  EXPECT_EQ(enqueue(kA, 4, at(milliseconds(30))), Result::queued);
}

TEST_F(NeighborCacheTest, AJustRequestedAddressIsNotEvicted) {
  make({.max_entries = 1});
  EXPECT_EQ(enqueue(kA, 1, at(seconds(0))), Result::send_request);
  cache_->learn(kA, kMacA, at(milliseconds(10)), false, ready_);
  // Evicting kA now would let a packet for it send a second request within the interval.
  EXPECT_EQ(enqueue(kB, 2, at(milliseconds(20))), Result::dropped);
  EXPECT_EQ(count(Counter::arp_table_full), 1u);
  EXPECT_EQ(enqueue(kB, 3, at(seconds(1))), Result::send_request);
  EXPECT_EQ(cache_->lookup(kA, at(seconds(1))), std::nullopt);
}

TEST_F(NeighborCacheTest, NextDeadlineIsTheEarliestTimer) {
  EXPECT_EQ(cache_->next_deadline(), kNever);
  EXPECT_EQ(enqueue(kA, 1, at(seconds(0))), Result::send_request);
  cache_->learn(kB, kMacB, at(milliseconds(200)), true, ready_);
  EXPECT_EQ(cache_->next_deadline(), at(seconds(1)));  // kA's retransmit
  cache_->learn(kA, kMacA, at(milliseconds(300)), false, ready_);
  EXPECT_EQ(cache_->next_deadline(), at(milliseconds(30200)));  // kB ages out first
  EXPECT_TRUE(poll(at(milliseconds(30200))).empty());
  EXPECT_EQ(cache_->next_deadline(), at(milliseconds(30300)));
  EXPECT_TRUE(poll(at(milliseconds(30300))).empty());
  EXPECT_EQ(cache_->next_deadline(), kNever);
}

TEST_F(NeighborCacheTest, SnapshotListsEntriesByAddress) {
  EXPECT_EQ(enqueue(kD, 1, at(seconds(0))), Result::send_request);
  EXPECT_EQ(enqueue(kD, 2, at(seconds(0))), Result::queued);
  EXPECT_EQ(poll(at(seconds(1))), std::vector{kD});
  cache_->learn(kB, kMacB, at(seconds(2)), true, ready_);
  const auto entries = cache_->snapshot(at(seconds(5)));
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].ip, kB);
  EXPECT_EQ(entries[0].state, NeighborState::reachable);
  EXPECT_EQ(entries[0].mac, kMacB);
  EXPECT_EQ(entries[0].age, seconds(3));
  EXPECT_EQ(entries[0].pending_packets, 0u);
  EXPECT_EQ(entries[1].ip, kD);
  EXPECT_EQ(to_string(entries[1].state), "incomplete");
  EXPECT_EQ(to_string(entries[0].state), "reachable");
  EXPECT_EQ(entries[1].mac, MacAddr{});
  EXPECT_EQ(entries[1].age, seconds(5));
  EXPECT_EQ(entries[1].requests_sent, 2u);
  EXPECT_EQ(entries[1].pending_packets, 2u);
}

}  // namespace
}  // namespace tapstack
