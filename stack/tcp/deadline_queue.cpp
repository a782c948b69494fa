#include "stack/tcp/deadline_queue.hpp"

#include <cassert>

namespace tapstack {

void DeadlineQueue::reserve(std::size_t id_count) {
  heap_.reserve(id_count);
  if (position_.size() < id_count) position_.resize(id_count, kNotQueued);
}

void DeadlineQueue::schedule(Id id, Instant when) {
  if (when == kNever) {
    cancel(id);
    return;
  }
  if (id >= position_.size()) position_.resize(std::size_t{id} + 1, kNotQueued);
  if (position_[id] == kNotQueued) {
    assert(heap_.size() < kNotQueued);
    heap_.push_back(Entry{when, id});
    position_[id] = static_cast<std::uint32_t>(heap_.size() - 1);
    sift_up(heap_.size() - 1);
    return;
  }
  // Moving an entry: it can only need to travel in one direction.
  const std::size_t index = position_[id];
  const Entry old = heap_[index];
  heap_[index].when = when;
  if (earlier(heap_[index], old)) {
    sift_up(index);
  } else {
    sift_down(index);
  }
}

void DeadlineQueue::cancel(Id id) {
  if (!contains(id)) return;
  remove_at(position_[id]);
}

Instant DeadlineQueue::deadline_of(Id id) const {
  return contains(id) ? heap_[position_[id]].when : kNever;
}

void DeadlineQueue::pop_due(Instant now, std::vector<Id>& due) {
  while (!heap_.empty() && heap_.front().when <= now) {
    due.push_back(heap_.front().id);
    remove_at(0);
  }
}

void DeadlineQueue::place(std::size_t index, const Entry& entry) {
  heap_[index] = entry;
  position_[entry.id] = static_cast<std::uint32_t>(index);
}

void DeadlineQueue::sift_up(std::size_t index) {
  const Entry moving = heap_[index];
  while (index > 0) {
    const std::size_t parent = (index - 1) / 2;
    if (!earlier(moving, heap_[parent])) break;
    place(index, heap_[parent]);
    index = parent;
  }
  place(index, moving);
}

void DeadlineQueue::sift_down(std::size_t index) {
  const Entry moving = heap_[index];
  const std::size_t count = heap_.size();
  while (true) {
    std::size_t child = 2 * index + 1;
    if (child >= count) break;
    if (child + 1 < count && earlier(heap_[child + 1], heap_[child])) ++child;
    if (!earlier(heap_[child], moving)) break;
    place(index, heap_[child]);
    index = child;
  }
  place(index, moving);
}

// Replaces the entry at `index` by the last one, then restores the heap around it.
void DeadlineQueue::remove_at(std::size_t index) {
  const Id removed = heap_[index].id;
  const Entry last = heap_.back();
  heap_.pop_back();
  position_[removed] = kNotQueued;
  if (index == heap_.size()) return;  // `removed` was the last entry
  place(index, last);
  // The moved entry came from elsewhere in the tree: it may belong above or below `index`.
  if (index > 0 && earlier(last, heap_[(index - 1) / 2])) {
    sift_up(index);
  } else {
    sift_down(index);
  }
}

}  // namespace tapstack
