// ICMP for a host (RFC 792, RFC 1122 §3.2.2): echo replies and destination-unreachable errors,
// with the rules on when an error must not be sent and a rate limit on errors; received
// destination-unreachable errors are handed to the transport that sent the quoted datagram.
#pragma once

#include <array>

#include "stack/ipv4/ipv4_layer.hpp"
#include "stack/wire/icmp.hpp"

namespace tapstack {

// The datagram an ICMP error is about, as quoted in it (RFC 792). Views are borrowed: valid
// only during the handler call.
struct IcmpQuote {
  Ipv4Addr source;       // the original sender (we, for a datagram we sent)
  Ipv4Addr destination;  // the host it could not reach
  std::uint8_t protocol = 0;
  wire::Bytes transport;  // the quoted transport header and data: at least 8 bytes
};

// A transport protocol's handler for destination-unreachable errors about datagrams it sent
// (RFC 1122 §3.2.2.1: the error is passed to the transport, which decides what it means).
class IcmpErrorHandler {
 public:
  virtual void on_unreachable(wire::UnreachableCode code, const IcmpQuote& quote, Instant now) = 0;

 protected:
  ~IcmpErrorHandler() = default;
};

class IcmpLayer {
 public:
  IcmpLayer(Ipv4Layer& ipv4, Counters& counters) : ipv4_(ipv4), counters_(counters) {}

  void receive(const Ipv4Datagram& datagram, Instant now);
  // Reports `original` as undeliverable to its sender (RFC 1122 §3.2.2.1), unless a rule of
  // RFC 1122 §3.2.2 forbids it or the error rate limit is exhausted.
  void send_unreachable(wire::UnreachableCode code, const Ipv4Datagram& original, Instant now);
  // Routes received destination-unreachable errors quoting a datagram of `protocol` to
  // `handler`, which must outlive this layer. Replaces an earlier handler.
  void set_error_handler(std::uint8_t protocol, IcmpErrorHandler& handler) {
    error_handlers_[protocol] = &handler;
  }

 private:
  void reply_to_echo(const Ipv4Datagram& request, const wire::IcmpHeader& header, Instant now);
  void hand_up_unreachable(const Ipv4Datagram& error, const wire::IcmpHeader& header, Instant now);
  bool take_error_token(Instant now);

  Ipv4Layer& ipv4_;
  Counters& counters_;
  std::array<IcmpErrorHandler*, 256> error_handlers_{};  // by IP protocol number
  // Token bucket for error messages (RFC 1812 §4.3.2.8; Linux icmp_msgs_per_sec/burst).
  double error_tokens_ = kErrorBurst;
  Instant error_tokens_at_ = Instant::min();
  static constexpr double kErrorBurst = 50;
  static constexpr double kErrorsPerSecond = 1000;
};

}  // namespace tapstack
