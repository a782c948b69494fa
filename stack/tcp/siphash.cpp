#include "stack/tcp/siphash.hpp"

#include <bit>

#include "stack/wire/bytes.hpp"

namespace tapstack {
namespace {

// SipHash reads its input and key as little-endian 64-bit words, by definition of the
// algorithm (not a host-order question): byte i is bits 8i..8i+7.
std::uint64_t load_le64(std::span<const std::byte> bytes) {
  std::uint64_t word = 0;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    word |= static_cast<std::uint64_t>(bytes[i]) << (8 * i);
  }
  return word;
}

struct SipState {
  std::uint64_t v0, v1, v2, v3;

  explicit SipState(const SipKey& key)
      : v0(key.k0 ^ 0x736f6d6570736575ULL),  // "somepseudorandomlygeneratedbytes"
        v1(key.k1 ^ 0x646f72616e646f6dULL),
        v2(key.k0 ^ 0x6c7967656e657261ULL),
        v3(key.k1 ^ 0x7465646279746573ULL) {}

  void round() {
    v0 += v1;
    v1 = std::rotl(v1, 13);
    v1 ^= v0;
    v0 = std::rotl(v0, 32);
    v2 += v3;
    v3 = std::rotl(v3, 16);
    v3 ^= v2;
    v0 += v3;
    v3 = std::rotl(v3, 21);
    v3 ^= v0;
    v2 += v1;
    v1 = std::rotl(v1, 17);
    v1 ^= v2;
    v2 = std::rotl(v2, 32);
  }

  // The "2" of SipHash-2-4: two compression rounds per 8-byte block.
  void absorb(std::uint64_t block) {
    v3 ^= block;
    round();
    round();
    v0 ^= block;
  }

  // The "4": four finalization rounds.
  std::uint64_t finish() {
    v2 ^= 0xff;
    round();
    round();
    round();
    round();
    return v0 ^ v1 ^ v2 ^ v3;
  }
};

}  // namespace

SipKey SipKey::from_bytes(std::span<const std::byte, 16> key) {
  return SipKey{load_le64(key.first<8>()), load_le64(key.last<8>())};
}

std::uint64_t siphash24(const SipKey& key, std::span<const std::byte> message) {
  SipState state{key};
  const std::size_t whole = message.size() - message.size() % 8;
  for (std::size_t at = 0; at < whole; at += 8) {
    state.absorb(load_le64(message.subspan(at, 8)));
  }
  // The last block holds the 0..7 remaining bytes and, in its top byte, the length mod 256.
  const std::uint64_t length_byte = static_cast<std::uint64_t>(message.size() & 0xff) << 56;
  state.absorb(load_le64(message.subspan(whole)) | length_byte);
  return state.finish();
}

std::uint64_t siphash24(const SipKey& key, const FourTuple& tuple, std::uint32_t extra) {
  std::array<std::byte, 16> input{};
  wire::store32(input, 0, tuple.local_addr.value());
  wire::store16(input, 4, tuple.local_port);
  wire::store32(input, 6, tuple.remote_addr.value());
  wire::store16(input, 10, tuple.remote_port);
  wire::store32(input, 12, extra);
  return siphash24(key, input);
}

}  // namespace tapstack
