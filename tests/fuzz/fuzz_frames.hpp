// The input format of the stack fuzzer: a sequence of records, each one received frame and a
// step of virtual time. Shared by the fuzzer and the seed generator so seeds stay valid.
//
//   record := flags:u8  time_step_ms:u8  length:u16be  frame:length bytes
//   flags bit 0: recompute the IPv4 header checksum and the TCP/UDP/ICMP checksum, so the
//                fuzzer reaches the code behind checksum validation
//
// A truncated last record is used as far as it goes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace tapstack::fuzz {

inline constexpr std::uint8_t kFixChecksums = 0x01;

struct FrameRecord {
  std::uint8_t flags = 0;
  std::uint8_t time_step_ms = 0;
  std::span<const std::byte> frame;
};

// Splits `input` into records; stops at the first incomplete header.
std::vector<FrameRecord> parse_records(std::span<const std::byte> input);

// Appends one record to `out` (the seed generator's side).
void append_record(std::vector<std::byte>& out, std::uint8_t flags, std::uint8_t time_step_ms,
                   std::span<const std::byte> frame);

// Recomputes the checksums named above in place, as far as the headers are present.
void fix_checksums(std::span<std::byte> frame);

}  // namespace tapstack::fuzz
