// A bounded FIFO with storage allocated once. push() refuses when full so the caller can count
// the drop: every queue in the stack is bounded (DESIGN.md §2.8).
#pragma once

#include <cassert>
#include <cstddef>
#include <optional>
#include <utility>
#include <vector>

namespace tapstack {

template <typename T>
class RingQueue {
 public:
  explicit RingQueue(std::size_t capacity) : slots_(capacity) {}

  std::size_t size() const { return size_; }
  std::size_t capacity() const { return slots_.size(); }
  bool empty() const { return size_ == 0; }
  bool full() const { return size_ == slots_.size(); }

  // False (and `value` untouched) when full.
  bool push(T&& value) {
    if (full()) return false;
    slots_[(head_ + size_) % slots_.size()] = std::move(value);
    ++size_;
    return true;
  }

  T& front() {
    assert(!empty());
    return slots_[head_];
  }

  T pop() {
    assert(!empty());
    T value = std::move(slots_[head_]);
    head_ = (head_ + 1) % slots_.size();
    --size_;
    return value;
  }

  void clear() {
    while (!empty()) pop();
  }

 private:
  std::vector<T> slots_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

}  // namespace tapstack
