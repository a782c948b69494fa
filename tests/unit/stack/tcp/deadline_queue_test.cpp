#include "stack/tcp/deadline_queue.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <utility>
#include <vector>

#include "stack/base/random.hpp"

namespace tapstack {
namespace {

using std::chrono::milliseconds;
using Id = DeadlineQueue::Id;

std::vector<Id> pop_due(DeadlineQueue& queue, Instant now) {
  std::vector<Id> due;
  queue.pop_due(now, due);
  return due;
}

TEST(DeadlineQueue, EmptyHasNoDeadline) {
  DeadlineQueue queue;
  EXPECT_EQ(queue.next_deadline(), kNever);
  EXPECT_EQ(queue.size(), 0U);
  EXPECT_FALSE(queue.contains(0));
  EXPECT_TRUE(pop_due(queue, at(milliseconds(1000))).empty());
}

TEST(DeadlineQueue, PopsInDeadlineOrder) {
  DeadlineQueue queue;
  queue.schedule(4, at(milliseconds(40)));
  queue.schedule(1, at(milliseconds(10)));
  queue.schedule(3, at(milliseconds(30)));
  queue.schedule(0, at(milliseconds(50)));
  queue.schedule(2, at(milliseconds(20)));
  EXPECT_EQ(queue.size(), 5U);
  EXPECT_EQ(queue.next_deadline(), at(milliseconds(10)));

  // Deadlines 10, 20 and 30 are due at 30 (inclusive); 40 and 50 are not.
  EXPECT_EQ(pop_due(queue, at(milliseconds(30))), (std::vector<Id>{1, 2, 3}));
  EXPECT_EQ(queue.next_deadline(), at(milliseconds(40)));
  EXPECT_FALSE(queue.contains(1));
  EXPECT_TRUE(queue.contains(4));
  EXPECT_EQ(pop_due(queue, at(milliseconds(49))), (std::vector<Id>{4}));
  EXPECT_EQ(pop_due(queue, at(milliseconds(50))), (std::vector<Id>{0}));
  EXPECT_EQ(queue.next_deadline(), kNever);
}

TEST(DeadlineQueue, PopDueAppendsToTheCallersVector) {
  DeadlineQueue queue;
  queue.schedule(7, at(milliseconds(5)));
  std::vector<Id> due{99};
  queue.pop_due(at(milliseconds(5)), due);
  EXPECT_EQ(due, (std::vector<Id>{99, 7}));
}

TEST(DeadlineQueue, RescheduleMovesEarlierAndLater) {
  DeadlineQueue queue;
  queue.schedule(0, at(milliseconds(100)));
  queue.schedule(1, at(milliseconds(200)));
  queue.schedule(2, at(milliseconds(300)));

  queue.schedule(2, at(milliseconds(50)));  // earlier: now first
  EXPECT_EQ(queue.next_deadline(), at(milliseconds(50)));
  queue.schedule(2, at(milliseconds(400)));  // later: now last
  EXPECT_EQ(queue.next_deadline(), at(milliseconds(100)));
  EXPECT_EQ(queue.deadline_of(2), at(milliseconds(400)));
  EXPECT_EQ(queue.size(), 3U);  // moved, not duplicated

  EXPECT_EQ(pop_due(queue, at(milliseconds(1000))), (std::vector<Id>{0, 1, 2}));
}

TEST(DeadlineQueue, CancelRemovesOnlyThatId) {
  DeadlineQueue queue;
  for (Id id = 0; id < 6; ++id) queue.schedule(id, at(milliseconds(10 * (id + 1))));
  queue.cancel(0);     // the root
  queue.cancel(3);     // an inner node
  queue.cancel(5);     // the last slot
  queue.cancel(5);     // twice: no effect
  queue.cancel(1000);  // never scheduled, beyond the position table: no effect
  EXPECT_EQ(queue.size(), 3U);
  EXPECT_FALSE(queue.contains(3));
  EXPECT_EQ(queue.deadline_of(3), kNever);
  EXPECT_EQ(queue.next_deadline(), at(milliseconds(20)));
  EXPECT_EQ(pop_due(queue, kNever - milliseconds(1)), (std::vector<Id>{1, 2, 4}));
}

TEST(DeadlineQueue, ScheduleAtNeverCancels) {
  DeadlineQueue queue;
  queue.schedule(3, at(milliseconds(10)));
  queue.schedule(3, kNever);
  EXPECT_FALSE(queue.contains(3));
  EXPECT_EQ(queue.next_deadline(), kNever);
  queue.schedule(8, kNever);  // not queued before: stays absent
  EXPECT_EQ(queue.size(), 0U);
}

TEST(DeadlineQueue, EqualDeadlinesPopTogetherInIdOrder) {
  DeadlineQueue queue;
  const Instant tick = at(milliseconds(200));
  for (Id id : {9U, 2U, 7U, 0U, 5U}) queue.schedule(id, tick);
  queue.schedule(1, tick + milliseconds(1));
  EXPECT_TRUE(pop_due(queue, tick - milliseconds(1)).empty());
  EXPECT_EQ(pop_due(queue, tick), (std::vector<Id>{0, 2, 5, 7, 9}));
  EXPECT_EQ(queue.size(), 1U);
}

TEST(DeadlineQueue, ReservePreallocatesWithoutQueueing) {
  DeadlineQueue queue;
  queue.reserve(100'000);
  EXPECT_EQ(queue.size(), 0U);
  EXPECT_FALSE(queue.contains(99'999));
  queue.schedule(99'999, at(milliseconds(1)));
  EXPECT_TRUE(queue.contains(99'999));
}

// The reference model: a multimap ordered by deadline and the deadline of each queued id.
class ReferenceQueue {
 public:
  void schedule(Id id, Instant when) {
    cancel(id);
    if (when == kNever) return;
    by_time_.emplace(when, id);
    deadline_[id] = when;
  }
  void cancel(Id id) {
    const auto found = deadline_.find(id);
    if (found == deadline_.end()) return;
    auto [first, last] = by_time_.equal_range(found->second);
    by_time_.erase(std::find(first, last, std::pair<const Instant, Id>{found->second, id}));
    deadline_.erase(found);
  }
  Instant next_deadline() const { return by_time_.empty() ? kNever : by_time_.begin()->first; }
  // Due ids in (deadline, id) order: the multimap keeps equal deadlines in insertion order.
  std::vector<Id> pop_due(Instant now) {
    std::vector<std::pair<Instant, Id>> due(by_time_.begin(), by_time_.upper_bound(now));
    std::sort(due.begin(), due.end());
    std::vector<Id> ids;
    for (const auto& [when, id] : due) {
      ids.push_back(id);
      cancel(id);
    }
    return ids;
  }
  std::size_t size() const { return by_time_.size(); }

 private:
  std::multimap<Instant, Id> by_time_;
  std::map<Id, Instant> deadline_;
};

TEST(DeadlineQueue, MatchesAReferenceModelOver100000RandomOperations) {
  Random random{20240611};
  DeadlineQueue queue;
  ReferenceQueue model;
  Instant now = at(milliseconds(0));
  constexpr Id kIds = 2000;
  std::vector<Id> due;
  for (int op = 0; op < 100'000; ++op) {
    const auto id = static_cast<Id>(random.below(kIds));
    // Deadlines on a coarse 1 ms grid within the next 500 ms: many equal deadlines.
    const Instant when = now + milliseconds(random.below(500));
    switch (random.below(10)) {
      case 0:
      case 1:
        queue.cancel(id);
        model.cancel(id);
        break;
      case 2: {
        now += milliseconds(random.below(50));
        due.clear();
        queue.pop_due(now, due);
        ASSERT_EQ(due, model.pop_due(now)) << "operation " << op;
        break;
      }
      case 3:
        queue.schedule(id, kNever);
        model.schedule(id, kNever);
        break;
      default:
        queue.schedule(id, when);
        model.schedule(id, when);
        break;
    }
    ASSERT_EQ(queue.size(), model.size()) << "operation " << op;
    ASSERT_EQ(queue.next_deadline(), model.next_deadline()) << "operation " << op;
  }
  due.clear();
  queue.pop_due(kNever - milliseconds(1), due);
  EXPECT_EQ(due, model.pop_due(kNever - milliseconds(1)));
  EXPECT_EQ(queue.size(), 0U);
}

TEST(DeadlineQueue, HoldsOneHundredThousandConnections) {
  Random random{7};
  DeadlineQueue queue;
  constexpr Id kConnections = 100'000;
  std::vector<Instant> deadline(kConnections);
  for (Id id = 0; id < kConnections; ++id) {
    deadline[id] = at(milliseconds(1 + random.below(60'000)));
    queue.schedule(id, deadline[id]);
  }
  EXPECT_EQ(queue.size(), kConnections);
  EXPECT_EQ(queue.next_deadline(), *std::min_element(deadline.begin(), deadline.end()));

  std::vector<Id> due;
  queue.pop_due(at(milliseconds(60'000)), due);
  ASSERT_EQ(due.size(), kConnections);
  for (std::size_t i = 1; i < due.size(); ++i) {
    ASSERT_LE(deadline[due[i - 1]], deadline[due[i]]) << "position " << i;
  }
  std::sort(due.begin(), due.end());
  EXPECT_EQ(std::adjacent_find(due.begin(), due.end()), due.end());  // each id exactly once
}

}  // namespace
}  // namespace tapstack
