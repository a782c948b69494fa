// ARP for IPv4 over Ethernet: answers requests for our addresses, learns neighbours (RFC 826
// merge rule), resolves next hops for outgoing packets with retried, rate-limited requests
// (RFC 1122 §2.3.2), announces our addresses (RFC 5227 §2.3) and defends them (§2.4).
#pragma once

#include <vector>

#include "stack/link/interface.hpp"
#include "stack/link/link_output.hpp"
#include "stack/wire/arp.hpp"

namespace tapstack {

class ArpLayer {
 public:
  ArpLayer(LinkOutput& link, Counters& counters) : link_(link), counters_(counters) {}

  // One ARP packet (the Ethernet payload), borrowed for the call.
  void receive(Interface& interface, wire::Bytes packet, Instant now);
  // Sends `ip_packet` to `next_hop` on `interface`, resolving its MAC first if needed: the
  // packet waits in the neighbour cache's bounded queue until the reply (RFC 1122 §2.3.2.2).
  void output(Interface& interface, Ipv4Addr next_hop, PacketBuffer ip_packet, Instant now);
  // Announces every address of the interface now and once more ANNOUNCE_INTERVAL later
  // (RFC 5227 §2.3), so neighbours replace stale entries for our addresses.
  void start_announcements(Interface& interface, Instant now);
  // The same for one address (one added while running), restarting its announcements if any
  // were still to come.
  void start_announcement(Interface& interface, Ipv4Addr address, Instant now);
  // Retries, aging and announcements due at `now`.
  void poll(Interface& interface, Instant now);
  Instant next_deadline(const Interface& interface) const;

 private:
  void send(Interface& interface, wire::ArpOp op, Ipv4Addr sender_ip, MacAddr target_mac,
            Ipv4Addr target_ip, MacAddr link_destination);
  void request(Interface& interface, Ipv4Addr target);
  // Gratuitous ARP: a request for our own address (RFC 5227 §2.3 announcement).
  void announce(Interface& interface, Ipv4Addr address);
  void defend(Interface& interface, Ipv4Addr address, Instant now);
  void flush_ready(Interface& interface, MacAddr mac);

  LinkOutput& link_;
  Counters& counters_;
  // Scratch space reused across calls so the steady state does not allocate.
  std::vector<PacketBuffer> ready_;
  std::vector<Ipv4Addr> requests_;
};

}  // namespace tapstack
