#include "fuzz_frames.hpp"

#include <algorithm>

#include "stack/wire/bytes.hpp"
#include "stack/wire/checksum.hpp"

namespace tapstack::fuzz {
namespace {

constexpr std::size_t kEthernet = 14;

std::uint16_t checksum_of(std::span<const std::byte> bytes) {
  wire::Checksum sum;
  sum.add(bytes);
  return sum.finish();
}

// TCP (6), UDP (17) and ICMP (1) checksums over the payload of an IPv4 packet.
void fix_transport(std::span<std::byte> ip, std::size_t header_length) {
  const std::uint8_t protocol = std::to_integer<std::uint8_t>(ip[9]);
  const std::size_t total = std::min<std::size_t>(wire::load16(ip, 2), ip.size());
  if (total <= header_length) return;
  auto payload = ip.subspan(header_length, total - header_length);
  std::size_t offset = 0;
  if (protocol == 6 && payload.size() >= 20) offset = 16;
  if (protocol == 17 && payload.size() >= 8) offset = 6;
  if (protocol == 1 && payload.size() >= 4) offset = 2;
  if (offset == 0) return;
  wire::store16(payload, offset, 0);
  wire::Checksum sum;
  if (protocol != 1) {
    sum.add(ip.subspan(12, 8));  // source and destination addresses
    sum.add16(protocol);
    sum.add16(static_cast<std::uint16_t>(payload.size()));
  }
  sum.add(payload);
  std::uint16_t value = sum.finish();
  if (protocol == 17 && value == 0) value = 0xffff;  // RFC 768: 0 means "no checksum"
  wire::store16(payload, offset, value);
}

}  // namespace

std::vector<FrameRecord> parse_records(std::span<const std::byte> input) {
  std::vector<FrameRecord> records;
  while (input.size() >= 4) {
    FrameRecord record;
    record.flags = std::to_integer<std::uint8_t>(input[0]);
    record.time_step_ms = std::to_integer<std::uint8_t>(input[1]);
    const std::size_t length = std::min<std::size_t>(wire::load16(input, 2), input.size() - 4);
    record.frame = input.subspan(4, length);
    records.push_back(record);
    input = input.subspan(4 + length);
  }
  return records;
}

void append_record(std::vector<std::byte>& out, std::uint8_t flags, std::uint8_t time_step_ms,
                   std::span<const std::byte> frame) {
  const std::size_t at = out.size();
  out.resize(at + 4);
  out[at] = std::byte{flags};
  out[at + 1] = std::byte{time_step_ms};
  wire::store16(std::span{out}.subspan(at), 2, static_cast<std::uint16_t>(frame.size()));
  out.insert(out.end(), frame.begin(), frame.end());
}

void fix_checksums(std::span<std::byte> frame) {
  if (frame.size() < kEthernet + 20 || wire::load16(frame, 12) != 0x0800) return;
  auto ip = frame.subspan(kEthernet);
  const std::size_t header_length = (std::to_integer<std::size_t>(ip[0]) & 0x0f) * 4;
  if (header_length < 20 || header_length > ip.size()) return;
  wire::store16(ip, 10, 0);
  wire::store16(ip, 10, checksum_of(ip.first(header_length)));
  fix_transport(ip, header_length);
}

}  // namespace tapstack::fuzz
