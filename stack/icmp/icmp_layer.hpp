// ICMP for a host (RFC 792, RFC 1122 §3.2.2): echo replies and destination-unreachable errors,
// with the rules on when an error must not be sent and a rate limit on errors.
#pragma once

#include "stack/ipv4/ipv4_layer.hpp"
#include "stack/wire/icmp.hpp"

namespace tapstack {

class IcmpLayer {
 public:
  IcmpLayer(Ipv4Layer& ipv4, Counters& counters) : ipv4_(ipv4), counters_(counters) {}

  void receive(const Ipv4Datagram& datagram, Instant now);
  // Reports `original` as undeliverable to its sender (RFC 1122 §3.2.2.1), unless a rule of
  // RFC 1122 §3.2.2 forbids it or the error rate limit is exhausted.
  void send_unreachable(wire::UnreachableCode code, const Ipv4Datagram& original, Instant now);

 private:
  void reply_to_echo(const Ipv4Datagram& request, const wire::IcmpHeader& header, Instant now);
  bool take_error_token(Instant now);

  Ipv4Layer& ipv4_;
  Counters& counters_;
  // Token bucket for error messages (RFC 1812 §4.3.2.8; Linux icmp_msgs_per_sec/burst).
  double error_tokens_ = kErrorBurst;
  Instant error_tokens_at_ = Instant::min();
  static constexpr double kErrorBurst = 50;
  static constexpr double kErrorsPerSecond = 1000;
};

}  // namespace tapstack
