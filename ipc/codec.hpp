// Encoder and decoder of the IPC messages (ipc/PROTOCOL.md §1.1, §2, §3.3): pure functions over
// bytes, big-endian through stack/wire/bytes.hpp. Decoding untrusted input never allocates more
// than the (capped) packet it is given and reports every malformation as a value.
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "ipc/protocol.hpp"
#include "stack/base/result.hpp"

namespace tapstack::ipc {

enum class DecodeError : std::uint8_t {
  truncated,  // shorter than the header, or than the length it declares
  oversize,   // longer than kMaxMessageSize
  bad_magic,
  unknown_version,
  unknown_type,
  bad_flags,    // reserved bits set, or has_fd where the type has none / none where needed
  bad_length,   // the header's length disagrees with the packet
  bad_payload,  // wrong payload size or an impossible field value for the type
};

std::string_view to_string(DecodeError error);

// The whole message, header included. Precondition: option values at most kMaxOptionValue
// bytes (asserted); the result is then at most kMaxMessageSize bytes.
std::vector<std::byte> encode(const Message& message);

// Decodes one packet (one SEQPACKET message). `packet` is borrowed for the call.
Result<Message, DecodeError> decode(std::span<const std::byte> packet);

std::array<std::byte, kAcceptRecordSize> encode(const AcceptRecord& record);
Result<AcceptRecord, DecodeError> decode_accept_record(std::span<const std::byte> bytes);

// Writes the 8-byte datagram header into the start of `out` (at least kDatagramHeaderSize).
void encode(const DatagramHeader& header, std::span<std::byte> out);
// Reads the header at the start of a datagram packet: truncated below 8 bytes, bad_flags for
// unknown flag bits.
Result<DatagramHeader, DecodeError> decode_datagram_header(std::span<const std::byte> packet);

}  // namespace tapstack::ipc
