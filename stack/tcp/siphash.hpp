// SipHash-2-4 (Aumasson & Bernstein, "SipHash: a fast short-input PRF", 2012): the keyed hash
// behind every value TCP must keep unpredictable to off-path attackers: initial sequence numbers
// (RFC 6528), SYN cookies and ephemeral port selection (RFC 6056).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "stack/base/random.hpp"
#include "stack/tcp/four_tuple.hpp"

namespace tapstack {

// A 128-bit key: k0 is bytes 0..7 and k1 bytes 8..15 of the reference's key, read little-endian.
struct SipKey {
  std::uint64_t k0 = 0;
  std::uint64_t k1 = 0;

  static SipKey from_bytes(std::span<const std::byte, 16> key);
  // A fresh secret drawn from the stack's Random.
  static SipKey random(Random& random) {
    const std::uint64_t k0 = random.next();
    return SipKey{k0, random.next()};
  }
};

// SipHash-2-4 of `message`, as the reference implementation computes it.
std::uint64_t siphash24(const SipKey& key, std::span<const std::byte> message);

// SipHash-2-4 of a connection's identity followed by one 32-bit word: local address, local port,
// remote address, remote port, extra, each big-endian (16 bytes). The common input of the keyed
// hashes in TCP; `extra` separates uses that share a tuple (the SYN cookie's minute counter).
std::uint64_t siphash24(const SipKey& key, const FourTuple& tuple, std::uint32_t extra = 0);

}  // namespace tapstack
