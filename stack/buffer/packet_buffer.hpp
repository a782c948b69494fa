// Packet buffers with headroom, like the kernel's sk_buff data pointer: a layer going down
// prepends its header into the headroom in front of the payload; a layer going up strips its
// header from the front. All buffers come from a BufferPool allocated once at start-up, so the
// packet path never allocates; a move-only PacketBuffer returns its slot to the pool when dropped.
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <utility>
#include <vector>

namespace tapstack {

class BufferPool;

// Work a packet leaves for the device to finish (the virtio-net header's offloads, DESIGN.md §4),
// kept with the buffer like sk_buff's csum_start and gso_size: the transport checksum, and the
// cutting of one large TCP segment into segments of gso_size payload bytes (TSO).
struct TxOffload {
  std::uint16_t gso_size = 0;  // 0: send as it is
  bool checksum_partial = false;
  std::uint16_t checksum_offset = 0;  // of the checksum field from the transport header's start
};

class PacketBuffer {
 public:
  PacketBuffer() = default;
  PacketBuffer(PacketBuffer&& other) noexcept { *this = std::move(other); }
  PacketBuffer& operator=(PacketBuffer&& other) noexcept;
  PacketBuffer(const PacketBuffer&) = delete;
  PacketBuffer& operator=(const PacketBuffer&) = delete;
  ~PacketBuffer() { reset(); }

  explicit operator bool() const { return pool_ != nullptr; }

  std::span<const std::byte> data() const { return {base_ + head_, size()}; }
  std::span<std::byte> mutable_data() { return {base_ + head_, size()}; }
  std::size_t size() const { return tail_ - head_; }
  std::size_t headroom() const { return head_; }
  std::size_t tailroom() const { return capacity_ - tail_; }

  // Grows the data `n` bytes toward the front and returns those bytes. Precondition: n <= headroom.
  std::span<std::byte> prepend(std::size_t n) {
    assert(n <= headroom());
    head_ -= static_cast<std::uint32_t>(n);
    return {base_ + head_, n};
  }
  // Grows the data `n` bytes at the back and returns them. Precondition: n <= tailroom.
  std::span<std::byte> append(std::size_t n) {
    assert(n <= tailroom());
    std::span<std::byte> out{base_ + tail_, n};
    tail_ += static_cast<std::uint32_t>(n);
    return out;
  }
  // Drops `n` bytes from the front (a header consumed going up). Precondition: n <= size.
  void trim_front(std::size_t n) {
    assert(n <= size());
    head_ += static_cast<std::uint32_t>(n);
  }
  // Keeps only the first `n` bytes. Precondition: n <= size.
  void truncate(std::size_t n) {
    assert(n <= size());
    tail_ = head_ + static_cast<std::uint32_t>(n);
  }

  // Returns the slot to its pool; the handle becomes empty.
  void reset();

  // The transport header starts `start` bytes into the data, its checksum field `field_offset`
  // bytes into it holds the pseudo-header sum only, and the device computes the rest.
  void mark_checksum_partial(std::size_t start, std::uint16_t field_offset) {
    assert(start <= size());
    offload_.checksum_partial = true;
    offload_.checksum_offset = field_offset;
    checksum_start_ = head_ + static_cast<std::uint32_t>(start);
  }
  // Where the transport header starts, from the front of the data as it is now (headers
  // prepended since marking move it). Precondition: offload().checksum_partial.
  std::size_t checksum_start() const { return checksum_start_ - head_; }
  void set_gso_size(std::uint16_t size) { offload_.gso_size = size; }
  const TxOffload& offload() const { return offload_; }

 private:
  friend class BufferPool;
  PacketBuffer(BufferPool* pool, std::byte* base, std::uint32_t capacity, std::uint32_t index,
               std::uint32_t headroom)
      : pool_(pool),
        base_(base),
        capacity_(capacity),
        index_(index),
        head_(headroom),
        tail_(headroom) {}

  BufferPool* pool_ = nullptr;
  std::byte* base_ = nullptr;
  std::uint32_t capacity_ = 0;
  std::uint32_t index_ = 0;
  std::uint32_t head_ = 0;
  std::uint32_t tail_ = 0;
  std::uint32_t checksum_start_ = 0;  // position in the slot, not relative to head_
  TxOffload offload_;
};

// A fixed number of equal slots in one allocation. Not thread-safe (one pool per event loop).
// The pool must outlive every buffer taken from it.
class BufferPool {
 public:
  BufferPool(std::size_t slot_count, std::size_t slot_size);
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  // An empty buffer with `headroom` bytes reserved in front; nullopt when every slot is in use
  // (callers count that as a drop). Precondition: headroom <= slot_size.
  std::optional<PacketBuffer> acquire(std::size_t headroom);

  std::size_t slot_size() const { return slot_size_; }
  std::size_t slot_count() const { return slot_count_; }
  std::size_t available() const { return free_.size(); }

 private:
  friend class PacketBuffer;
  void release(std::uint32_t index) { free_.push_back(index); }

  std::size_t slot_size_;
  std::size_t slot_count_;
  // Not zero-filled: pages are touched only when a slot is first used, so a large pool that
  // stays idle (e.g. the 64 KB TSO buffers with offloads refused) costs address space only.
  std::unique_ptr<std::byte[]> slab_;
  std::vector<std::uint32_t> free_;
};

}  // namespace tapstack
