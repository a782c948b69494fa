// RFC 9293 §3.10.7.4 segment text, RFC 2018 §4 SACK block order, RFC 2883 §4 D-SACK;
// see receive_buffer.hpp.
#include "stack/tcp/receive_buffer.hpp"

#include <algorithm>
#include <cassert>
#include <limits>

namespace tapstack {

ReceiveBuffer::ReceiveBuffer(std::size_t capacity) : capacity_(capacity) {
  assert(capacity < (std::size_t{1} << 31));
}

void ReceiveBuffer::set_capacity(std::size_t capacity) {
  assert(capacity < (std::size_t{1} << 31));
  capacity_ = std::max(capacity, held_extent());
}

void ReceiveBuffer::start(SeqNum rcv_nxt) {
  assert(readable_ == 0 && out_of_order_.empty());
  rcv_nxt_ = rcv_nxt;
  head_ = 0;
  dsack_.reset();
}

ReceiveBuffer::Result ReceiveBuffer::write(SeqNum seq, wire::Bytes data) {
  assert(!data.empty());
  const SeqRange segment{seq, seq + seq_length(data.size())};
  if (segment.end <= rcv_nxt_) {
    // RFC 2883 §4 (example 1): an entirely old segment (its ACK was lost, or the network
    // duplicated it) goes into a D-SACK block: the sender learns its resend was unnecessary.
    dsack_ = segment;
    return {Accept::duplicate, 0};
  }
  // RFC 9293 §3.10.7.4: keep only the part inside [RCV.NXT, RCV.NXT + RCV.WND).
  const SeqNum window_end = rcv_nxt_ + seq_length(window());
  const SeqRange part{seq_max(seq, rcv_nxt_), seq_min(segment.end, window_end)};
  if (part.empty()) return {Accept::outside_window, 0};
  const bool in_order = part.begin == rcv_nxt_;
  if (!in_order && ranges_after_adding(part) > kMaxOutOfOrderRanges) {
    return {Accept::too_fragmented, 0};
  }
  if (auto duplicate = first_duplicate(seq, part)) dsack_ = duplicate;
  const std::size_t new_bytes =
      store_new_bytes(part, data.subspan(seq_distance(seq, part.begin), part.length()));
  record(part);
  if (new_bytes == 0) return {Accept::duplicate, 0};
  return {in_order ? Accept::in_order : Accept::out_of_order, new_bytes};
}

std::size_t ReceiveBuffer::read(wire::MutableBytes out) {
  const std::size_t count = peek(out);
  consume(count);
  return count;
}

std::array<wire::Bytes, 2> ReceiveBuffer::readable_bytes() const {
  if (readable_ == 0) return {};
  const std::size_t first = std::min(readable_, storage_size_ - head_);
  return {wire::Bytes{storage_.get() + head_, first},
          wire::Bytes{storage_.get(), readable_ - first}};
}

void ReceiveBuffer::consume(std::size_t count) {
  count = std::min(count, readable_);
  if (count == 0) return;
  readable_ -= count;
  head_ = (head_ + count) % storage_size_;
  // Restarting at index 0 when empty keeps the next data in one piece.
  if (readable_ == 0 && out_of_order_.empty()) head_ = 0;
}

std::size_t ReceiveBuffer::peek(wire::MutableBytes out) const {
  const std::size_t count = std::min(out.size(), readable_);
  copy_from_head(count, out.data());
  return count;
}

std::size_t ReceiveBuffer::sack_blocks(std::span<SeqRange> out) const {
  std::size_t count = 0;
  if (dsack_ && count < out.size()) out[count++] = *dsack_;  // RFC 2883 §4: D-SACK first
  // RFC 2018 §4: then the ranges, most recently changed first. Picking the newest below the
  // previous pick costs ranges x blocks comparisons (at most 32 x 4) and needs no sorting space.
  std::uint64_t older_than = std::numeric_limits<std::uint64_t>::max();
  while (count < out.size()) {
    const HeldRange* newest = nullptr;
    for (const HeldRange& held : out_of_order_) {
      if (held.last_change < older_than &&
          (newest == nullptr || held.last_change > newest->last_change)) {
        newest = &held;
      }
    }
    if (newest == nullptr) break;
    out[count++] = newest->range;
    older_than = newest->last_change;
  }
  return count;
}

bool ReceiveBuffer::release_if_empty() {
  if (readable_ != 0 || !out_of_order_.empty()) return false;
  const bool held_memory = storage_ != nullptr || out_of_order_.capacity() != 0;
  storage_.reset();
  storage_size_ = 0;
  head_ = 0;
  out_of_order_ = {};
  return held_memory;
}

std::size_t ReceiveBuffer::held_extent() const {
  if (out_of_order_.empty()) return readable_;
  return readable_ + seq_distance(rcv_nxt_, out_of_order_.back().range.end);
}

std::size_t ReceiveBuffer::ranges_after_adding(const SeqRange& part) const {
  const auto joined = std::ranges::count_if(
      out_of_order_, [&](const HeldRange& held) { return held.range.touches(part); });
  return out_of_order_.size() - static_cast<std::size_t>(joined) + 1;
}

std::optional<SeqRange> ReceiveBuffer::first_duplicate(SeqNum seq, const SeqRange& part) const {
  // RFC 2883 §4 (examples 4, 5): a partly old segment reports its old part, as Linux does.
  if (seq < rcv_nxt_) return SeqRange{seq, rcv_nxt_};
  for (const HeldRange& held : out_of_order_) {
    if (held.range.overlaps(part)) {
      return SeqRange{seq_max(held.range.begin, part.begin), seq_min(held.range.end, part.end)};
    }
  }
  return std::nullopt;
}

std::size_t ReceiveBuffer::store_new_bytes(const SeqRange& part, wire::Bytes bytes) {
  reserve(readable_ + seq_distance(rcv_nxt_, part.end));
  std::size_t stored = 0;
  SeqNum cursor = part.begin;
  // Copies [cursor, gap_end) unless empty: the bytes between ranges already held.
  const auto store_gap = [&](SeqNum gap_end) {
    if (gap_end <= cursor) return;
    const wire::Bytes gap =
        bytes.subspan(seq_distance(part.begin, cursor), seq_distance(cursor, gap_end));
    const std::size_t index = index_of(cursor);
    const std::size_t first = std::min(gap.size(), storage_size_ - index);
    wire::copy_bytes(gap.first(first), storage_.get() + index);
    wire::copy_bytes(gap.subspan(first), storage_.get());
    stored += gap.size();
  };
  for (const HeldRange& held : out_of_order_) {
    if (held.range.end <= cursor) continue;
    if (held.range.begin >= part.end) break;
    store_gap(held.range.begin);
    cursor = seq_max(cursor, held.range.end);
  }
  store_gap(part.end);
  return stored;
}

void ReceiveBuffer::record(const SeqRange& part) {
  SeqRange joined = part;
  auto first = std::ranges::find_if(
      out_of_order_, [&](const HeldRange& held) { return part.begin <= held.range.end; });
  auto last = first;
  for (; last != out_of_order_.end() && last->range.begin <= part.end; ++last) {
    joined =
        SeqRange{seq_min(joined.begin, last->range.begin), seq_max(joined.end, last->range.end)};
  }
  const auto position = out_of_order_.erase(first, last);
  if (joined.begin == rcv_nxt_) {
    readable_ += seq_distance(rcv_nxt_, joined.end);
    rcv_nxt_ = joined.end;
  } else {
    out_of_order_.insert(position, HeldRange{joined, ++changes_});
  }
}

std::size_t ReceiveBuffer::index_of(SeqNum seq) const {
  return (head_ + readable_ + seq_distance(rcv_nxt_, seq)) % storage_size_;
}

void ReceiveBuffer::reserve(std::size_t needed) {
  assert(needed <= capacity_);
  if (needed <= storage_size_) return;
  std::size_t grown = std::max(storage_size_, kInitialStorage);
  while (grown < needed) grown *= 2;
  grown = std::min(grown, capacity_);
  // Move the held extent (gaps included) to the start of the new storage, unwrapping it.
  auto storage = std::make_unique_for_overwrite<std::byte[]>(grown);
  copy_from_head(held_extent(), storage.get());
  storage_ = std::move(storage);
  storage_size_ = grown;
  head_ = 0;
}

void ReceiveBuffer::copy_from_head(std::size_t count, std::byte* out) const {
  if (count == 0) return;
  const std::size_t first = std::min(count, storage_size_ - head_);
  wire::copy_bytes({storage_.get() + head_, first}, out);
  wire::copy_bytes({storage_.get(), count - first}, out + first);
}

}  // namespace tapstack
