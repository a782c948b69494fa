// The one structure holding every connection's next deadline (DESIGN.md §2.5: timers are values).
// Each connection computes its earliest deadline (retransmission, delayed ACK, persist, keepalive,
// TIME_WAIT) and files it here under its slot id; the stack asks for the earliest one, and the
// daemon arms a single timeout for it.
//
// An indexed binary min-heap: schedule, reschedule and cancel by id are O(log n), the earliest
// deadline is O(1). Ties are broken by id so that the order of pop_due is fully defined (and
// replays identically) whatever the history of the heap.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "stack/base/time.hpp"

namespace tapstack {

class DeadlineQueue {
 public:
  // A connection slot index, dense from 0. Memory is proportional to the largest id ever
  // scheduled; the connection table bounds it.
  using Id = std::uint32_t;

  // Preallocates for ids [0, id_count) so that the packet path never allocates.
  void reserve(std::size_t id_count);

  // Files `id` at `when`, moving it if it is already queued. kNever cancels.
  void schedule(Id id, Instant when);
  // Removes `id` if queued; otherwise does nothing.
  void cancel(Id id);

  // The earliest deadline, or kNever when empty.
  Instant next_deadline() const { return heap_.empty() ? kNever : heap_.front().when; }

  // Removes every entry with deadline <= now, appending their ids to `due` in (deadline, id)
  // order. `due` is owned by the caller and reused across calls; it is not cleared here.
  void pop_due(Instant now, std::vector<Id>& due);

  std::size_t size() const { return heap_.size(); }
  bool empty() const { return heap_.empty(); }
  bool contains(Id id) const { return id < position_.size() && position_[id] != kNotQueued; }
  // The deadline of a queued id, or kNever.
  Instant deadline_of(Id id) const;

 private:
  struct Entry {
    Instant when;
    Id id;
  };
  static constexpr std::uint32_t kNotQueued = UINT32_MAX;

  static bool earlier(const Entry& a, const Entry& b) {
    return a.when < b.when || (a.when == b.when && a.id < b.id);
  }
  void place(std::size_t index, const Entry& entry);
  void sift_up(std::size_t index);
  void sift_down(std::size_t index);
  void remove_at(std::size_t index);

  std::vector<Entry> heap_;
  std::vector<std::uint32_t> position_;  // heap index per id, kNotQueued when absent
};

}  // namespace tapstack
