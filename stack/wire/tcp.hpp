// TCP segment header (RFC 9293 §3.1) and its options: MSS (RFC 9293 §3.7.1), window scale and
// timestamps (RFC 7323), SACK-permitted and SACK (RFC 2018). Only the checks that need the
// segment itself live here; what the fields mean for a connection is the TCP layer's business.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>

#include "stack/base/address.hpp"
#include "stack/base/result.hpp"
#include "stack/tcp/seq_num.hpp"
#include "stack/wire/bytes.hpp"

namespace tapstack::wire {

// The control bits of header byte 13 (RFC 9293 §3.1; ECE and CWR from RFC 3168 §6.1).
struct TcpFlags {
  static constexpr std::uint8_t fin = 0x01;
  static constexpr std::uint8_t syn = 0x02;
  static constexpr std::uint8_t rst = 0x04;
  static constexpr std::uint8_t psh = 0x08;
  static constexpr std::uint8_t ack = 0x10;
  static constexpr std::uint8_t urg = 0x20;
  static constexpr std::uint8_t ece = 0x40;
  static constexpr std::uint8_t cwr = 0x80;
};

// One received block of data, [left, right) in sequence space (RFC 2018 §3).
struct SackBlock {
  SeqNum left;
  SeqNum right;

  bool operator==(const SackBlock&) const = default;
};

// RFC 7323 §3.2: TSval and TSecr.
struct TcpTimestamps {
  std::uint32_t value = 0;
  std::uint32_t echo_reply = 0;

  bool operator==(const TcpTimestamps&) const = default;
};

// The options this stack understands, as values. Parsing keeps the last occurrence of each.
struct TcpOptions {
  static constexpr std::size_t kMaxSize = 40;  // data offset 15 words minus the 20-byte header
  static constexpr std::size_t kMaxSackBlocks = 4;

  std::optional<std::uint16_t> mss;  // RFC 9293 §3.7.1 (kind 2)
  // RFC 7323 §2 (kind 3). A shift above 14 is clamped to 14 by the receiver (RFC 7323 §2.3);
  // parsing returns the raw value.
  std::optional<std::uint8_t> window_scale;
  bool sack_permitted = false;                          // RFC 2018 §2 (kind 4)
  std::optional<TcpTimestamps> timestamps;              // RFC 7323 §3 (kind 8)
  std::array<SackBlock, kMaxSackBlocks> sack_blocks{};  // RFC 2018 §3 (kind 5)
  std::uint8_t sack_count = 0;                          // valid entries at the front of sack_blocks

  bool operator==(const TcpOptions&) const = default;

  // SACK blocks emit() writes: the first sack_count blocks, as many as fit in 40 bytes beside
  // the other options (3 next to timestamps). RFC 2018 §4: callers put the newest block first.
  std::uint8_t emitted_sack_count() const;
  // Bytes emit() writes: a multiple of 4, at most kMaxSize.
  std::size_t emitted_size() const;
  // Writes emitted_size() bytes in Linux's layout (every option 4-byte aligned with NOPs):
  // MSS; SACK-permitted+timestamps (4,2,8,10) or NOP,NOP,timestamps or NOP,NOP,SACK-permitted;
  // NOP,window scale; NOP,NOP,SACK. Preconditions: out.size() >= emitted_size(),
  // sack_count <= kMaxSackBlocks, window_scale <= 14 (RFC 7323 §2.3).
  void emit(MutableBytes out) const;
};

enum class TcpError { truncated, bad_data_offset, bad_checksum, bad_options };

// A validated view of one TCP segment (the IPv4 payload). The bytes are borrowed.
class TcpView {
 public:
  static constexpr std::size_t kMinHeaderSize = 20;
  static constexpr std::uint16_t kChecksumOffset = 16;

  // Checks the length (>= 20 bytes), the data offset (5..15 words, within the segment), and,
  // when verify_checksum, the checksum over the IPv4 pseudo-header and the whole segment.
  // A data offset pointing past the end is bad_data_offset: the segment length is the IPv4
  // payload length, already validated, so the header is inconsistent rather than cut short.
  static Result<TcpView, TcpError> check(Bytes segment, Ipv4Addr src, Ipv4Addr dst,
                                         bool verify_checksum = true);

  std::uint16_t source_port() const { return load16(bytes_, 0); }
  std::uint16_t destination_port() const { return load16(bytes_, 2); }
  SeqNum seq() const { return SeqNum{load32(bytes_, 4)}; }
  SeqNum ack() const { return SeqNum{load32(bytes_, 8)}; }
  std::size_t header_length() const { return (std::size_t{load8(bytes_, 12)} >> 4) * 4; }
  std::uint8_t flags() const { return load8(bytes_, 13); }
  bool has(std::uint8_t flag) const { return (flags() & flag) != 0; }
  std::uint16_t window() const { return load16(bytes_, 14); }
  std::uint16_t urgent_pointer() const { return load16(bytes_, 18); }

  Bytes segment() const { return bytes_; }
  Bytes options_bytes() const {
    return bytes_.subspan(kMinHeaderSize, header_length() - kMinHeaderSize);
  }
  Bytes payload() const { return bytes_.subspan(header_length()); }

  // RFC 9293 §3.1 (MUST-64): unknown options are skipped by their length. An option whose
  // length is below 2 or runs past the header is malformed (MUST-7) -> bad_options, and the
  // segment is dropped. A known option with a wrong length is ignored, as Linux does.
  Result<TcpOptions, TcpError> options() const;

 private:
  explicit TcpView(Bytes bytes) : bytes_(bytes) {}
  Bytes bytes_;
};

// The fields of a segment header to send.
struct TcpHeader {
  std::uint16_t source_port = 0;
  std::uint16_t destination_port = 0;
  SeqNum seq;
  SeqNum ack;
  std::uint8_t flags = 0;
  std::uint16_t window = 0;
  std::uint16_t urgent_pointer = 0;
  TcpOptions options;

  // 20 + options.emitted_size().
  std::size_t size() const;
  // Writes size() bytes, with the checksum over the pseudo-header, this header and the payload
  // (the concatenation of `payload`; each part but the last has even length). Preconditions:
  // out.size() >= size(); size() plus the payload fits the 16-bit pseudo-header length.
  void emit(MutableBytes out, Ipv4Addr src, Ipv4Addr dst, std::span<const Bytes> payload) const;
  // Writes size() bytes with a zero checksum, for the layer below to finish
  // (Ipv4SendParams::transport_checksum_offset). Precondition: out.size() >= size().
  void emit(MutableBytes out) const;
};

}  // namespace tapstack::wire
