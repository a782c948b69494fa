#include "stack/tcp/siphash.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstddef>
#include <cstdint>

namespace tapstack {
namespace {

// Official SipHash-2-4 test vectors (reference implementation, vectors.h `vectors_sip64`):
// key = 00 01 .. 0f, message = the first `length` bytes of 00 01 02 .., output as the reference
// prints it, the 64-bit result in little-endian byte order.
struct Vector {
  std::size_t length;
  std::array<std::uint8_t, 8> output;
};

constexpr std::array<Vector, 16> kVectors{{
    {0, {0x31, 0x0e, 0x0e, 0xdd, 0x47, 0xdb, 0x6f, 0x72}},
    {1, {0xfd, 0x67, 0xdc, 0x93, 0xc5, 0x39, 0xf8, 0x74}},
    {2, {0x5a, 0x4f, 0xa9, 0xd9, 0x09, 0x80, 0x6c, 0x0d}},
    {3, {0x2d, 0x7e, 0xfb, 0xd7, 0x96, 0x66, 0x67, 0x85}},
    {4, {0xb7, 0x87, 0x71, 0x27, 0xe0, 0x94, 0x27, 0xcf}},
    {5, {0x8d, 0xa6, 0x99, 0xcd, 0x64, 0x55, 0x76, 0x18}},
    {6, {0xce, 0xe3, 0xfe, 0x58, 0x6e, 0x46, 0xc9, 0xcb}},
    {7, {0x37, 0xd1, 0x01, 0x8b, 0xf5, 0x00, 0x02, 0xab}},
    {8, {0x62, 0x24, 0x93, 0x9a, 0x79, 0xf5, 0xf5, 0x93}},
    {9, {0xb0, 0xe4, 0xa9, 0x0b, 0xdf, 0x82, 0x00, 0x9e}},
    {15, {0xe5, 0x45, 0xbe, 0x49, 0x61, 0xca, 0x29, 0xa1}},
    {16, {0xdb, 0x9b, 0xc2, 0x57, 0x7f, 0xcc, 0x2a, 0x3f}},
    {17, {0x94, 0x47, 0xbe, 0x2c, 0xf5, 0xe9, 0x9a, 0x69}},
    {31, {0x42, 0xc3, 0x41, 0xd8, 0xfa, 0x92, 0xd8, 0x32}},
    {32, {0xce, 0x7c, 0xf2, 0x72, 0x2f, 0x51, 0x27, 0x71}},
    {63, {0x72, 0x45, 0x06, 0xeb, 0x4c, 0x32, 0x8a, 0x95}},
}};

std::array<std::byte, 64> counting_bytes() {
  std::array<std::byte, 64> bytes{};
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<std::byte>(i);
  return bytes;
}

SipKey reference_key() {
  std::array<std::byte, 16> key{};
  for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::byte>(i);
  return SipKey::from_bytes(key);
}

TEST(SipHash, KeyBytesAreReadLittleEndian) {
  const SipKey key = reference_key();
  EXPECT_EQ(key.k0, 0x0706050403020100ULL);
  EXPECT_EQ(key.k1, 0x0f0e0d0c0b0a0908ULL);
}

TEST(SipHash, MatchesTheReferenceVectors) {
  const auto message = counting_bytes();
  const SipKey key = reference_key();
  for (const Vector& vector : kVectors) {
    const std::uint64_t hash = siphash24(key, std::span{message}.first(vector.length));
    std::array<std::uint8_t, 8> output{};
    for (std::size_t i = 0; i < 8; ++i) output[i] = static_cast<std::uint8_t>(hash >> (8 * i));
    EXPECT_EQ(output, vector.output) << "message length " << vector.length;
  }
}

TEST(SipHash, FirstVectorAsAnInteger) {
  // Vector 0 read as a little-endian integer, as the paper's appendix states it.
  EXPECT_EQ(siphash24(reference_key(), std::span<const std::byte>{}), 0x726fdb47dd0e0e31ULL);
}

TEST(SipHash, TupleInputIsTheBigEndianFieldsThenTheExtraWord) {
  const FourTuple tuple{.local_addr = Ipv4Addr{10, 0, 0, 2},
                        .local_port = 0x1234,
                        .remote_addr = Ipv4Addr{192, 0, 2, 9},
                        .remote_port = 0x0050};
  const std::array<std::uint8_t, 16> expected_input{10, 0, 0,    2,    0x12, 0x34, 192,  0,
                                                    2,  9, 0x00, 0x50, 0xde, 0xad, 0xbe, 0xef};
  const SipKey key = reference_key();
  EXPECT_EQ(siphash24(key, tuple, 0xdeadbeef),
            siphash24(key, std::as_bytes(std::span{expected_input})));
  EXPECT_NE(siphash24(key, tuple, 0xdeadbeef), siphash24(key, tuple, 0xdeadbeee));
}

TEST(SipHash, DifferentKeysGiveDifferentHashes) {
  const auto message = counting_bytes();
  Random random{1};
  const SipKey a = SipKey::random(random);
  const SipKey b = SipKey::random(random);
  EXPECT_NE(siphash24(a, message), siphash24(b, message));
}

}  // namespace
}  // namespace tapstack
