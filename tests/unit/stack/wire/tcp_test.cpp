#include "stack/wire/tcp.hpp"

#include <gtest/gtest.h>

#include <array>
#include <string_view>
#include <vector>

#include "support/hex.hpp"
#include "unit/stack/wire/tcp_fixtures.hpp"

namespace tapstack::wire {
namespace {

using test::hex;
namespace fx = test::fixtures;

constexpr std::size_t kTcpOffset = 34;  // Ethernet 14 + IPv4 20 in every fixture
const Ipv4Addr kClient(10, 9, 0, 1);
const Ipv4Addr kServer(10, 9, 0, 2);
const Ipv4Addr kScapyClient(10, 9, 0, 3);

std::vector<std::byte> segment_of(const char* frame) {
  const auto bytes = hex(frame);
  return {bytes.begin() + kTcpOffset, bytes.end()};
}

// Emits `h` (with `payload`) and returns the header bytes.
std::vector<std::byte> emit(const TcpHeader& h, Ipv4Addr src, Ipv4Addr dst,
                            std::span<const Bytes> payload = {}) {
  std::vector<std::byte> out(h.size());
  h.emit(out, src, dst, payload);
  return out;
}

// The options of a checksum-less segment whose option bytes are `options_hex`.
Result<TcpOptions, TcpError> parse_options(std::string_view options_hex) {
  auto segment = hex("0050 ead2 00000001 00000000 00 10 0040 0000 0000");
  const auto options = hex(options_hex);
  segment.insert(segment.end(), options.begin(), options.end());
  segment[12] = static_cast<std::byte>((segment.size() / 4) << 4);
  const auto view = TcpView::check(segment, kClient, kServer, /*verify_checksum=*/false);
  if (!view) return unexpected(view.error());
  return view->options();
}

TEST(Tcp, ParsesCapturedSynFieldByField) {
  const auto segment = segment_of(fx::kTcpSyn);
  const auto tcp = TcpView::check(segment, kClient, kServer);
  ASSERT_TRUE(tcp);
  EXPECT_EQ(tcp->source_port(), 60114);
  EXPECT_EQ(tcp->destination_port(), 80);
  EXPECT_EQ(tcp->seq(), SeqNum{603462791});
  EXPECT_EQ(tcp->ack(), SeqNum{0});
  EXPECT_EQ(tcp->header_length(), 40u);
  EXPECT_EQ(tcp->flags(), TcpFlags::syn);
  EXPECT_TRUE(tcp->has(TcpFlags::syn));
  EXPECT_FALSE(tcp->has(TcpFlags::ack));
  EXPECT_EQ(tcp->window(), 64240);
  EXPECT_EQ(tcp->urgent_pointer(), 0);
  EXPECT_EQ(tcp->options_bytes().size(), 20u);
  EXPECT_TRUE(tcp->payload().empty());

  const auto options = tcp->options();
  ASSERT_TRUE(options);
  EXPECT_EQ(options->mss, 1460);
  EXPECT_TRUE(options->sack_permitted);
  ASSERT_TRUE(options->timestamps);
  EXPECT_EQ(options->timestamps->value, 197413054u);
  EXPECT_EQ(options->timestamps->echo_reply, 0u);
  EXPECT_EQ(options->window_scale, 10);
  EXPECT_EQ(options->sack_count, 0);
}

TEST(Tcp, ParsesCapturedSynAck) {
  const auto segment = segment_of(fx::kTcpSynAck);
  const auto tcp = TcpView::check(segment, kServer, kClient);
  ASSERT_TRUE(tcp);
  EXPECT_EQ(tcp->source_port(), 80);
  EXPECT_EQ(tcp->destination_port(), 60114);
  EXPECT_EQ(tcp->seq(), SeqNum{1421658904});
  EXPECT_EQ(tcp->ack(), SeqNum{603462792});  // the SYN's seq + 1
  EXPECT_EQ(tcp->flags(), TcpFlags::syn | TcpFlags::ack);
  EXPECT_EQ(tcp->window(), 65160);
  const auto options = tcp->options();
  ASSERT_TRUE(options);
  EXPECT_EQ(options->mss, 1460);
  EXPECT_TRUE(options->sack_permitted);
  EXPECT_EQ(options->timestamps, (TcpTimestamps{2684797, 197413054}));
  EXPECT_EQ(options->window_scale, 10);
}

TEST(Tcp, ParsesCapturedDataSegmentWithTimestamps) {
  const auto segment = segment_of(fx::kTcpData);
  const auto tcp = TcpView::check(segment, kServer, kClient);
  ASSERT_TRUE(tcp);
  EXPECT_EQ(tcp->seq(), SeqNum{1421659090});
  EXPECT_EQ(tcp->ack(), SeqNum{603462810});
  EXPECT_EQ(tcp->flags(), TcpFlags::psh | TcpFlags::ack);
  EXPECT_EQ(tcp->window(), 64);  // scaled by 2^10 at the receiver
  EXPECT_EQ(tcp->header_length(), 32u);
  const std::string_view text = "hello tapstack\n";
  ASSERT_EQ(tcp->payload().size(), text.size());
  EXPECT_TRUE(std::equal(text.begin(), text.end(), tcp->payload().begin(),
                         [](char c, std::byte b) { return static_cast<std::byte>(c) == b; }));
  const auto options = tcp->options();
  ASSERT_TRUE(options);
  TcpOptions expected;
  expected.timestamps = TcpTimestamps{2684803, 197413061};
  EXPECT_EQ(*options, expected);  // nothing else: no MSS/WS/SACK-permitted outside a SYN
}

TEST(Tcp, ReemitsTheCapturedSynByteForByte) {
  TcpHeader h;
  h.source_port = 60114;
  h.destination_port = 80;
  h.seq = SeqNum{603462791};
  h.flags = TcpFlags::syn;
  h.window = 64240;
  h.options.mss = 1460;
  h.options.sack_permitted = true;
  h.options.timestamps = TcpTimestamps{197413054, 0};
  h.options.window_scale = 10;
  EXPECT_EQ(h.size(), 40u);
  EXPECT_EQ(emit(h, kClient, kServer), segment_of(fx::kTcpSyn));  // checksum 0xb8d3 included
}

TEST(Tcp, ReemitsTheCapturedSynAckWithoutTimestamps) {
  TcpHeader h;
  h.source_port = 80;
  h.destination_port = 41001;
  h.seq = SeqNum{2892206630};
  h.ack = SeqNum{5001};
  h.flags = TcpFlags::syn | TcpFlags::ack;
  h.window = 64240;
  h.options.mss = 1460;
  h.options.sack_permitted = true;  // alone: NOP, NOP, 4, 2
  h.options.window_scale = 10;
  EXPECT_EQ(h.options.emitted_size(), 12u);
  EXPECT_EQ(emit(h, kServer, kScapyClient), segment_of(fx::kTcpSynAckNoTimestamps));
}

// The checksum covers an odd-sized payload given in two parts (the first even-sized).
TEST(Tcp, ReemitsTheCapturedDataSegmentHeader) {
  const auto segment = segment_of(fx::kTcpData);
  const Bytes data = Bytes{segment}.subspan(32);
  const std::array<Bytes, 2> parts{data.first(8), data.subspan(8)};
  TcpHeader h;
  h.source_port = 80;
  h.destination_port = 60114;
  h.seq = SeqNum{1421659090};
  h.ack = SeqNum{603462810};
  h.flags = TcpFlags::psh | TcpFlags::ack;
  h.window = 64;
  h.options.timestamps = TcpTimestamps{2684803, 197413061};
  EXPECT_EQ(emit(h, kServer, kClient, parts),
            std::vector<std::byte>(segment.begin(), segment.begin() + 32));
}

// Linux fits 3 SACK blocks beside the timestamps; given 4, we drop the oldest, as it did.
TEST(Tcp, ReemitsCapturedSackBlocksAndTheirFit) {
  TcpHeader h;
  h.source_port = 80;
  h.destination_port = 41000;
  h.seq = SeqNum{3994020477};
  h.ack = SeqNum{5001};
  h.flags = TcpFlags::ack;
  h.window = 64;
  h.options.timestamps = TcpTimestamps{1555804092, 1001};
  h.options.sack_blocks = {
      SackBlock{SeqNum{5801}, SeqNum{5901}}, SackBlock{SeqNum{5601}, SeqNum{5701}},
      SackBlock{SeqNum{5401}, SeqNum{5501}}, SackBlock{SeqNum{5201}, SeqNum{5301}}};
  h.options.sack_count = 4;
  EXPECT_EQ(h.options.emitted_sack_count(), 3);
  EXPECT_EQ(h.options.emitted_size(), 40u);  // 12 (timestamps) + 4 + 3 * 8
  EXPECT_EQ(emit(h, kServer, kScapyClient), segment_of(fx::kTcpSackWithTimestamps));

  // Without timestamps all four fit (4 + 4 * 8 = 36 bytes), as in Linux's capture.
  h.destination_port = 41001;
  h.seq = SeqNum{2892206631};
  h.window = 63;
  h.options.timestamps.reset();
  EXPECT_EQ(h.options.emitted_sack_count(), 4);
  EXPECT_EQ(emit(h, kServer, kScapyClient), segment_of(fx::kTcpSackFourBlocks));
}

TEST(Tcp, ParsesCapturedFourSackBlocks) {
  const auto segment = segment_of(fx::kTcpSackFourBlocks);
  const auto tcp = TcpView::check(segment, kServer, kScapyClient);
  ASSERT_TRUE(tcp);
  const auto options = tcp->options();
  ASSERT_TRUE(options);
  ASSERT_EQ(options->sack_count, 4);
  EXPECT_EQ(options->sack_blocks[0], (SackBlock{SeqNum{5801}, SeqNum{5901}}));
  EXPECT_EQ(options->sack_blocks[3], (SackBlock{SeqNum{5201}, SeqNum{5301}}));
  EXPECT_FALSE(options->timestamps);
}

TEST(Tcp, SyntheticSackAckBytesAndRoundTrip) {
  const Ipv4Addr src(10, 0, 0, 1);
  const Ipv4Addr dst(10, 0, 0, 2);
  TcpHeader h;
  h.source_port = 80;
  h.destination_port = 60114;
  h.seq = SeqNum{1000};
  h.ack = SeqNum{2000};
  h.flags = TcpFlags::ack;
  h.window = 512;
  h.options.timestamps = TcpTimestamps{100, 200};
  h.options.sack_blocks[0] = SackBlock{SeqNum{3000}, SeqNum{4000}};
  h.options.sack_blocks[1] = SackBlock{SeqNum{5000}, SeqNum{6000}};
  h.options.sack_count = 2;
  // 20 + 12 (NOP NOP TS) + 4 (NOP NOP kind 5, length 2 + 2 * 8 = 18) + 16 = 52 bytes, data
  // offset 13 words. Checksum 0xcc3c computed independently with scapy.
  const auto expected =
      hex("0050 ead2 000003e8 000007d0 d0 10 0200 cc3c 0000"
          "01 01 08 0a 00000064 000000c8"
          "01 01 05 12 00000bb8 00000fa0 00001388 00001770");
  const auto bytes = emit(h, src, dst);
  EXPECT_EQ(bytes, expected);

  const auto tcp = TcpView::check(bytes, src, dst);
  ASSERT_TRUE(tcp);
  EXPECT_EQ(tcp->header_length(), 52u);
  EXPECT_EQ(tcp->options(), h.options);
  // The pseudo-header counts: the same bytes for another destination fail (swapping source and
  // destination would not, the one's complement sum being commutative).
  EXPECT_EQ(TcpView::check(bytes, src, Ipv4Addr(10, 0, 0, 3)).error(), TcpError::bad_checksum);
}

TEST(Tcp, RejectsEachMalformedHeader) {
  const auto good = segment_of(fx::kTcpSyn);
  auto check = [](const std::vector<std::byte>& s) {
    return TcpView::check(s, kClient, kServer).error();
  };
  EXPECT_EQ(check({good.begin(), good.begin() + 19}), TcpError::truncated);
  auto offset4 = good;
  offset4[12] = std::byte{0x40};  // 16-byte header, shorter than the fixed part
  EXPECT_EQ(check(offset4), TcpError::bad_data_offset);
  auto past_end = good;
  past_end[12] = std::byte{0xb0};  // 44-byte header in a 40-byte segment
  EXPECT_EQ(check(past_end), TcpError::bad_data_offset);
  auto bad_sum = good;
  bad_sum[39] ^= std::byte{1};  // the window scale shift
  EXPECT_EQ(check(bad_sum), TcpError::bad_checksum);
  EXPECT_TRUE(TcpView::check(bad_sum, kClient, kServer, /*verify_checksum=*/false));
}

TEST(Tcp, RejectsIllegalOptionLengths) {
  EXPECT_EQ(parse_options("02 00 0000").error(), TcpError::bad_options);  // length 0
  EXPECT_EQ(parse_options("fe 01 0000").error(), TcpError::bad_options);  // length 1
  // Timestamps (length 10) starting at byte 3 of an 8-byte option area.
  EXPECT_EQ(parse_options("010101 080a 000000").error(), TcpError::bad_options);
  // A kind in the last byte has no room for its length.
  EXPECT_EQ(parse_options("010101 02").error(), TcpError::bad_options);
}

TEST(Tcp, SkipsUnknownOptionsAndIgnoresWrongLengths) {
  // Kind 254 (RFC 6994 experimental), length 4, is skipped; the MSS after it is read.
  const auto unknown = parse_options("fe04abcd 020405b4");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->mss, 1460);

  // MSS with length 3 is ignored, then NOP, window scale 7, EOL.
  const auto bad_mss = parse_options("020305 0103 0307 00");
  ASSERT_TRUE(bad_mss);
  EXPECT_FALSE(bad_mss->mss);
  EXPECT_EQ(bad_mss->window_scale, 7);

  // SACK whose length (5) is not 2 + 8n, then NOP, then timestamps of length 8: both ignored.
  const auto bad_sack = parse_options("0505000000 01 0808000000010000 0000");
  ASSERT_TRUE(bad_sack);
  EXPECT_EQ(bad_sack->sack_count, 0);
  EXPECT_FALSE(bad_sack->timestamps);
}

TEST(Tcp, StopsAtEndOfOptionListAndKeepsRawWindowScale) {
  // After EOL the rest is padding, even if it looks like an option.
  const auto eol = parse_options("00 020405b4 000000");
  ASSERT_TRUE(eol);
  EXPECT_EQ(*eol, TcpOptions{});
  // RFC 7323 §2.3: clamping a shift of 15 to 14 is the receiver's decision.
  const auto ws = parse_options("01 03 03 0f");
  ASSERT_TRUE(ws);
  EXPECT_EQ(ws->window_scale, 15);
}

TEST(Tcp, EmitsNoOptionsAsA20ByteHeader) {
  TcpHeader h;
  h.flags = TcpFlags::rst;
  EXPECT_EQ(h.size(), 20u);
  const auto bytes = emit(h, kClient, kServer);
  EXPECT_EQ(load8(bytes, 12), 0x50);  // data offset 5 words
  const auto tcp = TcpView::check(bytes, kClient, kServer);
  ASSERT_TRUE(tcp);
  EXPECT_TRUE(tcp->options_bytes().empty());
  EXPECT_EQ(tcp->options(), TcpOptions{});
}

}  // namespace
}  // namespace tapstack::wire
