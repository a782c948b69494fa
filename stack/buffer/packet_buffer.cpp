#include "stack/buffer/packet_buffer.hpp"

namespace tapstack {

PacketBuffer& PacketBuffer::operator=(PacketBuffer&& other) noexcept {
  if (this != &other) {
    reset();
    pool_ = std::exchange(other.pool_, nullptr);
    base_ = other.base_;
    capacity_ = other.capacity_;
    index_ = other.index_;
    head_ = other.head_;
    tail_ = other.tail_;
    checksum_start_ = other.checksum_start_;
    offload_ = other.offload_;
  }
  return *this;
}

void PacketBuffer::reset() {
  if (pool_ != nullptr) std::exchange(pool_, nullptr)->release(index_);
  offload_ = TxOffload{};
}

BufferPool::BufferPool(std::size_t slot_count, std::size_t slot_size)
    : slot_size_(slot_size),
      slot_count_(slot_count),
      slab_(std::make_unique_for_overwrite<std::byte[]>(slot_count * slot_size)) {
  // free_ never grows beyond slot_count, so push_back in release() never reallocates.
  free_.reserve(slot_count);
  for (std::size_t i = slot_count; i > 0; --i) free_.push_back(static_cast<std::uint32_t>(i - 1));
}

std::optional<PacketBuffer> BufferPool::acquire(std::size_t headroom) {
  assert(headroom <= slot_size_);
  if (free_.empty()) return std::nullopt;
  const std::uint32_t index = free_.back();
  free_.pop_back();
  return PacketBuffer{this, slab_.get() + std::size_t{index} * slot_size_,
                      static_cast<std::uint32_t>(slot_size_), index,
                      static_cast<std::uint32_t>(headroom)};
}

}  // namespace tapstack
