// Seeded pseudo-random source owned by a Stack (ISNs, ephemeral ports, IP ids, jitter).
// Deterministic for a given seed so that tests and simulations replay exactly; the daemon seeds
// it from getrandom(2). xoshiro256** (Blackman & Vigna), seeded through splitmix64.
#pragma once

#include <array>
#include <cstdint>

namespace tapstack {

class Random {
 public:
  explicit Random(std::uint64_t seed) {
    for (auto& word : state_) {
      seed += 0x9e3779b97f4a7c15ULL;
      std::uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
      word = z ^ (z >> 31);
    }
  }

  std::uint64_t next() {
    const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const std::uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  std::uint32_t next32() { return static_cast<std::uint32_t>(next() >> 32); }

  // Uniform in [0, bound); bound > 0. The modulo bias is below bound / 2^64: negligible for the
  // small bounds the stack uses (port ranges, jitter).
  std::uint64_t below(std::uint64_t bound) { return next() % bound; }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::array<std::uint64_t, 4> state_{};
};

}  // namespace tapstack
