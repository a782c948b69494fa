// RFC 9293 §3.3.1 send sequence space; see send_buffer.hpp.
#include "stack/tcp/send_buffer.hpp"

#include <algorithm>
#include <cassert>

#include "stack/tcp/seq_range.hpp"

namespace tapstack {

SendBuffer::SendBuffer(std::size_t capacity) : capacity_(capacity) {
  assert(capacity < (std::size_t{1} << 31));
}

void SendBuffer::set_capacity(std::size_t capacity) {
  assert(capacity < (std::size_t{1} << 31));
  capacity_ = std::max(capacity, size_);
}

void SendBuffer::start(SeqNum first) {
  assert(empty());
  begin_seq_ = first;
  head_ = 0;
}

std::size_t SendBuffer::append(wire::Bytes data) {
  const std::size_t taken = std::min(data.size(), free_space());
  if (taken == 0) return 0;
  reserve(size_ + taken);
  // Copy in at most two pieces: up to the end of the storage, then from its start.
  const std::size_t tail = (head_ + size_) % storage_size_;
  const std::size_t first = std::min(taken, storage_size_ - tail);
  wire::copy_bytes(data.first(first), storage_.get() + tail);
  wire::copy_bytes(data.subspan(first, taken - first), storage_.get());
  size_ += taken;
  return taken;
}

std::array<wire::Bytes, 2> SendBuffer::peek(SeqNum from, std::size_t max) const {
  const std::size_t offset = seq_distance(begin_seq_, from);
  assert(offset <= size_);
  const std::size_t count = std::min(max, size_ - offset);
  if (count == 0) return {};
  const std::size_t start = (head_ + offset) % storage_size_;
  const std::size_t first = std::min(count, storage_size_ - start);
  return {wire::Bytes{storage_.get() + start, first}, wire::Bytes{storage_.get(), count - first}};
}

std::size_t SendBuffer::copy_out(SeqNum from, wire::MutableBytes out) const {
  const auto pieces = peek(from, out.size());
  wire::copy_bytes(pieces[1], wire::copy_bytes(pieces[0], out.data()));
  return pieces[0].size() + pieces[1].size();
}

void SendBuffer::acknowledge(SeqNum ack) {
  if (ack <= begin_seq_) return;  // old or duplicate acknowledgment: nothing new to free
  const std::size_t freed = std::min<std::size_t>(seq_distance(begin_seq_, ack), size_);
  begin_seq_ += static_cast<std::uint32_t>(freed);
  size_ -= freed;
  // Restarting at index 0 when empty keeps the next burst in one piece.
  head_ = size_ == 0 ? 0 : (head_ + freed) % storage_size_;
}

bool SendBuffer::release_if_empty() {
  if (size_ != 0 || storage_ == nullptr) return false;
  storage_.reset();
  storage_size_ = 0;
  head_ = 0;
  return true;
}

void SendBuffer::reserve(std::size_t needed) {
  assert(needed <= capacity_);
  if (needed <= storage_size_) return;
  std::size_t grown = std::max(storage_size_, kInitialStorage);
  while (grown < needed) grown *= 2;
  grown = std::min(grown, capacity_);
  // Move the held bytes to the start of the new storage, unwrapping them.
  auto storage = std::make_unique_for_overwrite<std::byte[]>(grown);
  const auto pieces = peek(begin_seq_, size_);
  wire::copy_bytes(pieces[1], wire::copy_bytes(pieces[0], storage.get()));
  storage_ = std::move(storage);
  storage_size_ = grown;
  head_ = 0;
}

}  // namespace tapstack
