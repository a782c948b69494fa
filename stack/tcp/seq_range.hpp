// A half-open range [begin, end) of TCP sequence space (RFC 9293 §3.4), as carried by a SACK
// block (RFC 2018 §3: left edge = first byte, right edge = one past the last byte).
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>

#include "stack/tcp/seq_num.hpp"

namespace tapstack {

// Bytes from `from` up to `to`. Precondition: from <= to (modulo 2^32, less than 2^31 apart).
constexpr std::uint32_t seq_distance(SeqNum from, SeqNum to) {
  assert(from <= to);
  return to.value() - from.value();
}

// `n` as a sequence-space length. Precondition: n < 2^31 (every TCP window and buffer is).
constexpr std::uint32_t seq_length(std::size_t n) {
  assert(n < (std::size_t{1} << 31));
  return static_cast<std::uint32_t>(n);
}

struct SeqRange {
  SeqNum begin;
  SeqNum end;

  constexpr bool empty() const { return end <= begin; }
  // Precondition: begin <= end.
  constexpr std::uint32_t length() const { return seq_distance(begin, end); }
  constexpr bool contains(SeqNum seq) const { return seq_in_range(seq, begin, end); }
  // True when the two ranges share at least one byte.
  constexpr bool overlaps(const SeqRange& other) const {
    return begin < other.end && other.begin < end;
  }
  // True when the two ranges overlap or touch, so their union is one range.
  constexpr bool touches(const SeqRange& other) const {
    return begin <= other.end && other.begin <= end;
  }

  constexpr bool operator==(const SeqRange&) const = default;
};

}  // namespace tapstack
