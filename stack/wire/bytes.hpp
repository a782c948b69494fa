// Network byte order, in one place. Every multi-byte field of every header is read and written
// through these helpers; nothing else in the project swaps bytes or casts onto wire structs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace tapstack::wire {

using Bytes = std::span<const std::byte>;
using MutableBytes = std::span<std::byte>;

inline std::uint8_t load8(Bytes b, std::size_t at) {
  return static_cast<std::uint8_t>(b[at]);
}

inline std::uint16_t load16(Bytes b, std::size_t at) {
  return static_cast<std::uint16_t>((static_cast<unsigned>(b[at]) << 8) |
                                    static_cast<unsigned>(b[at + 1]));
}

inline std::uint32_t load32(Bytes b, std::size_t at) {
  return (static_cast<std::uint32_t>(load16(b, at)) << 16) | load16(b, at + 2);
}

inline void store8(MutableBytes b, std::size_t at, std::uint8_t v) {
  b[at] = std::byte{v};
}

inline void store16(MutableBytes b, std::size_t at, std::uint16_t v) {
  b[at] = static_cast<std::byte>(v >> 8);
  b[at + 1] = static_cast<std::byte>(v & 0xff);
}

inline void store32(MutableBytes b, std::size_t at, std::uint32_t v) {
  store16(b, at, static_cast<std::uint16_t>(v >> 16));
  store16(b, at + 2, static_cast<std::uint16_t>(v & 0xffff));
}

// Little-endian, for the one header that is not in network byte order: the virtio-net header
// in front of TAP frames (set to little-endian with TUNSETVNETLE).
inline std::uint16_t load16_le(Bytes b, std::size_t at) {
  return static_cast<std::uint16_t>(static_cast<unsigned>(b[at]) |
                                    (static_cast<unsigned>(b[at + 1]) << 8));
}

inline void store16_le(MutableBytes b, std::size_t at, std::uint16_t v) {
  b[at] = static_cast<std::byte>(v & 0xff);
  b[at + 1] = static_cast<std::byte>(v >> 8);
}

// Copies `from` to `to` and returns the end of what was written. Hot paths copy bytes with this,
// not std::ranges::copy or std::copy_n: GCC 12 compiles those over std::byte into a loop that
// moves one byte per instruction (two thirds of chargen's CPU went to SendBuffer::append so);
// memcpy moves them at memory speed.
inline std::byte* copy_bytes(Bytes from, std::byte* to) {
  if (!from.empty()) std::memcpy(to, from.data(), from.size());
  return to + from.size();
}

// Views a string literal or byte vector as bytes (tests, fixtures).
template <typename T>
Bytes as_bytes(const T& container) {
  return std::as_bytes(std::span{container});
}

}  // namespace tapstack::wire
