// How a DNS query reaches a name server: the transport the resolver is given, and the real one,
// one UDP exchange on an ordinary socket (RFC 1035 §4.2.1).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <span>

#include "shim/dns/dns_message.hpp"

namespace tapstack::dns {

enum class TransportStatus {
  answered,   // `accept` took a datagram
  timed_out,  // nothing acceptable arrived in time
  failed,     // the query could not be sent, or the server is unreachable (ICMP error)
};

// Decides whether a received datagram is the response; refused datagrams are dropped.
using AcceptReply = std::function<bool(std::span<const std::uint8_t>)>;

// Sends `query` to port 53 of `server` and waits up to `timeout` for a datagram that `accept`
// takes.
using Transport =
    std::function<TransportStatus(Ipv4Address server, std::span<const std::uint8_t> query,
                                  std::chrono::milliseconds timeout, const AcceptReply& accept)>;

// The Transport over a connected UDP socket made with ::socket, ::connect, ::sendto, ::poll
// and ::recv, so that inside the LD_PRELOAD shim these calls are the shim's own and the query goes
// through tapstack. Connecting means only datagrams from the server's address and port arrive
// (RFC 5452 §9.1); a fresh socket per exchange gets a fresh ephemeral port (RFC 5452 §9.2).
TransportStatus udp_exchange(Ipv4Address server, std::span<const std::uint8_t> query,
                             std::chrono::milliseconds timeout, const AcceptReply& accept);

}  // namespace tapstack::dns
