// A received TCP segment as the connection sees it, and the port through which a connection
// transmits. The port is an interface so connection tests can capture segments directly.
#pragma once

#include <span>

#include "stack/tcp/four_tuple.hpp"
#include "stack/tcp/seq_num.hpp"
#include "stack/wire/tcp.hpp"

namespace tapstack {

struct SegmentIn {
  SeqNum seq;
  SeqNum ack;
  std::uint8_t flags = 0;
  std::uint16_t window = 0;  // unscaled, as on the wire
  wire::TcpOptions options;
  wire::Bytes payload;  // borrowed for the call

  bool has(std::uint8_t flag) const { return (flags & flag) != 0; }
  // RFC 9293 §3.4: SEG.LEN counts SYN and FIN.
  std::uint32_t length() const {
    return static_cast<std::uint32_t>(payload.size()) + (has(wire::TcpFlags::syn) ? 1U : 0U) +
           (has(wire::TcpFlags::fin) ? 1U : 0U);
  }
};

class SegmentOutput {
 public:
  virtual ~SegmentOutput() = default;
  // Sends one segment from `tuple.local` to `tuple.remote`; the payload is the concatenation of
  // `payload` (each part but the last of even length). Copies what it needs. A payload longer
  // than `segment_size` is one the device cuts into segments of that size (TSO), which only a
  // connection told it may (TcpConnection::enable_segmentation_offload) sends.
  virtual void transmit(const FourTuple& tuple, const wire::TcpHeader& header,
                        std::span<const wire::Bytes> payload, std::uint32_t segment_size) = 0;
  // Whether a data segment may go out now. False while the device's queue is nearly full: the
  // connection stops sending data and is resumed later (backpressure instead of local drops).
  virtual bool has_room() const { return true; }
  // Whether a segment larger than the MSS (for TSO) may go out now: a large buffer is free.
  virtual bool has_large_room() const { return false; }
  // Whether more received segments are being handed in as one batch (TcpLayer::begin_batch):
  // a routine ACK may then wait for the batch's end and cover all of it.
  virtual bool in_receive_batch() const { return false; }
};

}  // namespace tapstack
