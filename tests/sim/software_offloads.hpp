// A model of the device side of the TAP offloads (what Linux does with a frame written behind a
// virtio-net header), so the simulation can run a stack with offloads against one without:
// a TCP segment larger than the MTU is cut into segments of gso_size payload bytes (the headers
// copied, the sequence number advanced, the IP id incremented, lengths and checksums redone,
// FIN and PSH on the last segment only, CWR on the first only: Linux tcp_gso_segment), and a
// partial checksum is finished (RFC 1071 over the transport header and data, whose checksum
// field holds the pseudo-header sum).
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "stack/buffer/packet_buffer.hpp"
#include "stack/wire/bytes.hpp"
#include "stack/wire/checksum.hpp"
#include "stack/wire/tcp.hpp"

namespace tapstack::sim {

using FrameBytes = std::vector<std::byte>;

namespace offload_detail {

constexpr std::size_t kEthernetHeader = 14;

inline void finish_partial_checksum(FrameBytes& frame, std::size_t start, std::size_t field) {
  wire::Checksum sum;
  sum.add(std::span{frame}.subspan(start));
  wire::store16(frame, start + field, sum.finish());
}

inline void redo_ipv4_checksum(FrameBytes& frame, std::size_t ip_header_length) {
  const auto header = std::span{frame}.subspan(kEthernetHeader, ip_header_length);
  wire::store16(header, 10, 0);
  wire::store16(header, 10, wire::internet_checksum(header));
}

// One segment of a GSO frame: `headers` (Ethernet, IPv4, TCP) followed by `payload`.
inline FrameBytes gso_segment(wire::Bytes headers, std::size_t ip_header_length, std::size_t index,
                              std::uint32_t payload_offset, wire::Bytes payload, bool last) {
  FrameBytes frame(headers.begin(), headers.end());
  frame.insert(frame.end(), payload.begin(), payload.end());
  const std::size_t ip = kEthernetHeader;
  const std::size_t tcp = ip + ip_header_length;
  const auto bytes = std::span{frame};
  wire::store16(bytes, ip + 2, static_cast<std::uint16_t>(frame.size() - ip));
  wire::store16(bytes, ip + 4, static_cast<std::uint16_t>(wire::load16(bytes, ip + 4) + index));
  redo_ipv4_checksum(frame, ip_header_length);
  wire::store32(bytes, tcp + 4, wire::load32(bytes, tcp + 4) + payload_offset);
  std::uint8_t flags = wire::load8(bytes, tcp + 13);
  if (!last) flags &= static_cast<std::uint8_t>(~(wire::TcpFlags::fin | wire::TcpFlags::psh));
  if (index > 0) flags &= static_cast<std::uint8_t>(~wire::TcpFlags::cwr);
  wire::store8(bytes, tcp + 13, flags);
  // The checksum from scratch: the pseudo-header with this segment's length, then the rest.
  wire::Checksum sum;
  sum.add(bytes.subspan(ip + 12, 8));  // source and destination addresses
  sum.add16(wire::load8(bytes, ip + 9));
  sum.add16(static_cast<std::uint16_t>(frame.size() - tcp));
  wire::store16(bytes, tcp + wire::TcpView::kChecksumOffset, 0);
  sum.add(bytes.subspan(tcp));
  wire::store16(bytes, tcp + wire::TcpView::kChecksumOffset, sum.finish());
  return frame;
}

}  // namespace offload_detail

// The frames a device with offloads puts on the wire for `frame`: the frame itself, its
// checksum finished, or the segments it is cut into.
inline std::vector<FrameBytes> apply_offloads(const PacketBuffer& frame) {
  using namespace offload_detail;
  const wire::Bytes data = frame.data();
  const TxOffload& offload = frame.offload();
  if (!offload.checksum_partial) return {FrameBytes(data.begin(), data.end())};
  const std::size_t start = frame.checksum_start();
  if (offload.gso_size == 0) {
    FrameBytes whole(data.begin(), data.end());
    finish_partial_checksum(whole, start, offload.checksum_offset);
    return {std::move(whole)};
  }
  const std::size_t ip_header_length = start - kEthernetHeader;
  const std::size_t tcp_header_length = std::size_t{wire::load8(data, start + 12)} >> 4 << 2;
  const wire::Bytes headers = data.first(start + tcp_header_length);
  const wire::Bytes payload = data.subspan(headers.size());
  std::vector<FrameBytes> segments;
  for (std::size_t offset = 0, index = 0; offset < payload.size();
       offset += offload.gso_size, ++index) {
    const std::size_t length = std::min<std::size_t>(offload.gso_size, payload.size() - offset);
    segments.push_back(
        gso_segment(headers, ip_header_length, index, static_cast<std::uint32_t>(offset),
                    payload.subspan(offset, length), offset + length == payload.size()));
  }
  return segments;
}

}  // namespace tapstack::sim
