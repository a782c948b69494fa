// TCP sequence numbers: 32-bit values compared modulo 2^32 (RFC 9293 §3.4). Never order them
// with plain integer comparison and never key an ordered map with them over the whole space.
#pragma once

#include <cstdint>

namespace tapstack {

class SeqNum {
 public:
  constexpr SeqNum() = default;
  constexpr explicit SeqNum(std::uint32_t value) : value_(value) {}

  constexpr std::uint32_t value() const { return value_; }

  constexpr SeqNum operator+(std::uint32_t n) const { return SeqNum{value_ + n}; }
  constexpr SeqNum operator-(std::uint32_t n) const { return SeqNum{value_ - n}; }
  constexpr SeqNum& operator+=(std::uint32_t n) {
    value_ += n;
    return *this;
  }
  // Signed distance from `other` to this: positive when this is after `other`. Meaningful
  // while the two are less than 2^31 apart, which TCP's windows guarantee.
  constexpr std::int32_t operator-(SeqNum other) const {
    return static_cast<std::int32_t>(value_ - other.value_);
  }

  constexpr bool operator==(const SeqNum&) const = default;
  constexpr bool operator<(SeqNum other) const { return (*this - other) < 0; }
  constexpr bool operator<=(SeqNum other) const { return (*this - other) <= 0; }
  constexpr bool operator>(SeqNum other) const { return (*this - other) > 0; }
  constexpr bool operator>=(SeqNum other) const { return (*this - other) >= 0; }

 private:
  std::uint32_t value_ = 0;
};

// RFC 9293 §3.4: a <= x < b, modulo 2^32.
constexpr bool seq_in_range(SeqNum x, SeqNum a, SeqNum b) { return a <= x && x < b; }

constexpr SeqNum seq_max(SeqNum a, SeqNum b) { return a < b ? b : a; }
constexpr SeqNum seq_min(SeqNum a, SeqNum b) { return a < b ? a : b; }

}  // namespace tapstack
