// The /bytes/N and chargen pattern, and the SHA-256 wrapper against FIPS 180-4 test vectors.
#include <gtest/gtest.h>

#include <array>
#include <string_view>
#include <vector>

#include "daemon/services/pattern.hpp"
#include "daemon/services/sha256.hpp"

namespace tapstack::daemon::services {
namespace {

TEST(Pattern, ByteIIsIModulo251FromAnyOffset) {
  for (const std::uint64_t offset : {std::uint64_t{0}, std::uint64_t{250}, std::uint64_t{251},
                                     std::uint64_t{999'999'999'999}, ~std::uint64_t{0} - 600}) {
    std::vector<std::byte> bytes(600);
    fill_pattern(offset, bytes);
    for (std::size_t i = 0; i < bytes.size(); ++i) {
      ASSERT_EQ(static_cast<std::uint64_t>(bytes[i]), (offset + i) % 251) << offset << '+' << i;
      ASSERT_EQ(bytes[i], pattern_byte(offset + i));
    }
  }
}

TEST(Pattern, PiecesJoinIntoTheWholeStream) {
  std::vector<std::byte> whole(1000);
  fill_pattern(0, whole);
  std::vector<std::byte> pieces(1000);
  for (std::size_t at = 0; at < pieces.size(); at += 7) {
    fill_pattern(at, std::span{pieces}.subspan(at, std::min<std::size_t>(7, pieces.size() - at)));
  }
  EXPECT_EQ(pieces, whole);
}

TEST(Pattern, ViewsMatchTheStreamAtEveryPhaseUpToTheirLimit) {
  for (const std::uint64_t offset :
       {std::uint64_t{0}, std::uint64_t{250}, std::uint64_t{251}, std::uint64_t{123'456'789'013}}) {
    const auto view = pattern_view(offset, kPatternViewMax + 1000);
    ASSERT_EQ(view.size(), kPatternViewMax);
    for (std::size_t i = 0; i < view.size(); ++i) {
      ASSERT_EQ(view[i], pattern_byte(offset + i)) << offset << '+' << i;
    }
  }
  EXPECT_EQ(pattern_view(7, 10).size(), 10U);
}

std::span<const std::byte> bytes_of(std::string_view text) {
  return std::as_bytes(std::span{text.data(), text.size()});
}

TEST(Sha256, MatchesTheFipsVectorsAndRestartsAfterFinish) {
  Sha256 sha;
  EXPECT_EQ(sha.finish_hex(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  sha.update(bytes_of("ab"));
  sha.update(bytes_of("c"));
  EXPECT_EQ(sha.finish_hex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  sha.update(bytes_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"));
  EXPECT_EQ(sha.finish_hex(), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

}  // namespace
}  // namespace tapstack::daemon::services
