#include "stack/icmp/icmp_layer.hpp"

#include <algorithm>
#include <array>

namespace tapstack {
namespace {

// RFC 1812 §4.3.2.3: an error quotes as much of the original as fits in a 576-byte datagram.
constexpr std::size_t kMaxErrorDatagram = 576;
constexpr std::size_t kMaxQuote =
    kMaxErrorDatagram - wire::Ipv4Header::kSize - wire::IcmpHeader::kSize;

}  // namespace

void IcmpLayer::receive(const Ipv4Datagram& datagram, Instant now) {
  counters_.add(Counter::icmp_rx_messages);
  const auto header = wire::IcmpHeader::parse(datagram.payload);
  if (!header) {
    counters_.add(Counter::icmp_drop_truncated);
    return;
  }
  if (!wire::IcmpHeader::checksum_ok(datagram.payload)) {
    counters_.add(Counter::icmp_drop_bad_checksum);
    return;
  }
  switch (static_cast<wire::IcmpType>(header->type)) {
    case wire::IcmpType::echo_request:
      counters_.add(Counter::icmp_rx_echo_requests);
      reply_to_echo(datagram, *header, now);
      return;
    case wire::IcmpType::dest_unreachable:
      counters_.add(Counter::icmp_rx_dest_unreachable);
      hand_up_unreachable(datagram, *header, now);
      return;
    default:
      counters_.add(Counter::icmp_drop_unsupported_type);
      return;
  }
}

void IcmpLayer::hand_up_unreachable(const Ipv4Datagram& error, const wire::IcmpHeader& header,
                                    Instant now) {
  // Like Linux, an error sent to a broadcast address is not believed: no host answers a
  // broadcast with an error (RFC 1122 §3.2.2), so it can only be forged.
  if (error.broadcast) return;
  // RFC 792: the quote is the original IP header and at least 8 bytes of its data. Its
  // checksum and total length are not checked: routers may quote a modified header.
  const wire::Bytes quote = error.payload.subspan(wire::IcmpHeader::kSize);
  if (quote.size() < wire::Ipv4Header::kSize + 8) {
    counters_.add(Counter::icmp_drop_truncated);
    return;
  }
  const std::uint8_t version_ihl = wire::load8(quote, 0);
  const std::size_t header_size = std::size_t{version_ihl & 0x0fu} * 4;
  if ((version_ihl >> 4) != 4 || header_size < wire::Ipv4Header::kSize ||
      quote.size() < header_size + 8) {
    counters_.add(Counter::icmp_drop_truncated);
    return;
  }
  const std::uint8_t protocol = wire::load8(quote, 9);
  IcmpErrorHandler* handler = error_handlers_[protocol];
  if (handler == nullptr) return;
  const IcmpQuote quoted{Ipv4Addr{wire::load32(quote, 12)}, Ipv4Addr{wire::load32(quote, 16)},
                         protocol, quote.subspan(header_size)};
  handler->on_unreachable(static_cast<wire::UnreachableCode>(header.code), quoted, now);
}

void IcmpLayer::reply_to_echo(const Ipv4Datagram& request, const wire::IcmpHeader& header,
                              Instant now) {
  // Like Linux (icmp_echo_ignore_broadcasts=1): no reply to a broadcast echo request, which
  // would amplify smurf attacks; RFC 1122 §3.2.2.6 allows discarding them silently.
  if (request.broadcast) return;
  const wire::Bytes data = request.payload.subspan(wire::IcmpHeader::kSize);
  std::array<std::byte, wire::IcmpHeader::kSize> reply_header{};
  // RFC 792: the reply carries the request's identifier, sequence number and data unchanged.
  wire::IcmpHeader{static_cast<std::uint8_t>(wire::IcmpType::echo_reply), 0, header.rest}.emit(
      reply_header, std::span{&data, 1});
  const std::array<wire::Bytes, 2> parts{wire::Bytes{reply_header}, data};
  Ipv4SendParams params;
  // RFC 1122 §3.2.2.6: the reply's source is the specific address the request was sent to.
  params.source = request.destination;
  params.destination = request.source;
  params.protocol = static_cast<std::uint8_t>(wire::IpProtocol::icmp);
  params.tos = request.tos;
  if (ipv4_.send(params, parts, now)) {
    counters_.add(Counter::icmp_tx_echo_replies);
    counters_.add(Counter::icmp_tx_messages);
  }
}

void IcmpLayer::send_unreachable(wire::UnreachableCode code, const Ipv4Datagram& original,
                                 Instant now) {
  // RFC 1122 §3.2.2: no error about an ICMP error, nor about a broadcast or multicast datagram.
  if (original.broadcast || original.destination.is_multicast()) return;
  if (original.protocol == static_cast<std::uint8_t>(wire::IpProtocol::icmp) &&
      (original.payload.empty() || wire::is_icmp_error(wire::load8(original.payload, 0)))) {
    return;
  }
  if (!take_error_token(now)) {
    counters_.add(Counter::icmp_tx_rate_limited);
    return;
  }
  // Quote the original header (rebuilt for a reassembled datagram) and the start of its data.
  std::array<std::byte, wire::Ipv4Header::kSize> rebuilt{};
  wire::Bytes quoted_header = original.header;
  if (quoted_header.empty()) {
    wire::Ipv4Header h;
    h.tos = original.tos;
    h.total_length = static_cast<std::uint16_t>(
        std::min<std::size_t>(wire::Ipv4Header::kSize + original.payload.size(), 65535));
    h.ttl = original.ttl;
    h.protocol = original.protocol;
    h.source = original.source;
    h.destination = original.destination;
    h.emit(rebuilt);
    quoted_header = rebuilt;
  }
  const wire::Bytes quoted_data =
      original.payload.first(std::min(original.payload.size(), kMaxQuote - quoted_header.size()));
  std::array<std::byte, wire::IcmpHeader::kSize> header{};
  const std::array<wire::Bytes, 2> quote{quoted_header, quoted_data};
  wire::IcmpHeader{static_cast<std::uint8_t>(wire::IcmpType::dest_unreachable),
                   static_cast<std::uint8_t>(code), 0}
      .emit(header, quote);
  const std::array<wire::Bytes, 3> parts{wire::Bytes{header}, quoted_header, quoted_data};
  Ipv4SendParams params;
  // RFC 1122 §3.2.2: the error comes from the address the original was sent to.
  params.source = original.destination;
  params.destination = original.source;
  params.protocol = static_cast<std::uint8_t>(wire::IpProtocol::icmp);
  if (ipv4_.send(params, parts, now)) {
    counters_.add(Counter::icmp_tx_dest_unreachable);
    counters_.add(Counter::icmp_tx_messages);
  }
}

bool IcmpLayer::take_error_token(Instant now) {
  if (error_tokens_at_ != Instant::min()) {
    const double elapsed = std::chrono::duration<double>(now - error_tokens_at_).count();
    error_tokens_ = std::min(kErrorBurst, error_tokens_ + elapsed * kErrorsPerSecond);
  }
  error_tokens_at_ = now;
  if (error_tokens_ < 1) return false;
  error_tokens_ -= 1;
  return true;
}

}  // namespace tapstack
