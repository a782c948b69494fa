// The IPv4 neighbour cache of one Ethernet interface: address -> MAC translations learned by ARP
// (RFC 826 "merge" rule), resolution in progress with retried requests (RFC 1122 §2.3.2.1) and a
// bounded queue of packets waiting for each unresolved next hop (RFC 1122 §2.3.2.2).
//
// Pure data with deadlines (DESIGN.md §2.10): the cache never sends anything. It tells its caller
// (ArpLayer) when to send a request and hands back packets that became sendable.
//
// Rate limiting (RFC 1122 §2.3.2.1, at most one request per retransmit_interval per address) is
// structural, not a filter: the only requests for an address are the first one when its entry is
// created and one per expiry of the entry's retransmit timer. A packet arriving while a request is
// outstanding simply waits for the reply or the next retry; that is not a suppressed request, so
// nothing is counted. Entries whose last request is younger than retransmit_interval are never
// removed early (see eviction below), so re-creating an entry cannot exceed the rate either.
//
// Eviction when the table is full: the resolved entry confirmed least recently goes, provided its
// last request is at least retransmit_interval old. INCOMPLETE entries are never evicted: doing so
// would drop packets that are about to be sent, and an evicted address could be re-requested at
// once (an ARP flood). They free themselves within max_requests * retransmit_interval. If nothing
// is evictable, the new address is not cached (arp_table_full).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "stack/base/address.hpp"
#include "stack/base/time.hpp"
#include "stack/buffer/packet_buffer.hpp"
#include "stack/stats/counters.hpp"

namespace tapstack {

// Preconditions: every value >= 1, and reachable_time >= retransmit_interval (so an entry that
// ages out may be re-requested at once without exceeding the request rate).
struct NeighborSettings {
  Duration reachable_time = std::chrono::seconds(30);      // a resolved entry ages out after this
  Duration retransmit_interval = std::chrono::seconds(1);  // between requests for one address
  std::uint32_t max_requests = 3;          // unanswered requests before the address fails
  std::uint32_t max_entries = 1024;        // table size
  std::uint32_t max_pending_packets = 16;  // packets queued per unresolved address
};

// Linux NUD states. Failed and aged-out entries are removed rather than kept in a state.
enum class NeighborState : std::uint8_t { incomplete, reachable };
std::string_view to_string(NeighborState state);  // lowercase: "incomplete", "reachable"

// One entry as `tapstackctl neigh` shows it.
struct NeighborInfo {
  Ipv4Addr ip;
  NeighborState state = NeighborState::incomplete;
  MacAddr mac;     // zero while incomplete
  Duration age{};  // since confirmation (reachable) or creation (incomplete)
  std::uint32_t requests_sent = 0;
  std::size_t pending_packets = 0;
};

// Not thread-safe (one per interface, owned by the Stack). Lookup and enqueue are O(1) on average;
// poll, next_deadline and eviction (only when the table is full) scan all entries, which is cheap
// for max_entries ~1024 and avoids a second index that would have to be kept consistent.
// Allocation happens only when an entry is created, never per packet.
class NeighborCache {
 public:
  // `counters` must outlive the cache.
  NeighborCache(const NeighborSettings& settings, Counters& counters);

  // The MAC of a resolved entry that has not aged out at `now`, else nullopt.
  std::optional<MacAddr> lookup(Ipv4Addr ip, Instant now) const;

  enum class EnqueueResult {
    send_request,  // queued; the caller must send an ARP request for `ip` now
    queued,        // queued behind an outstanding request
    dropped,       // table full of entries that cannot be evicted (arp_table_full)
  };
  // Takes ownership of an outgoing IPv4 packet for the unresolved next hop `ip` and keeps it until
  // learn() resolves `ip` or resolution fails. Creates an INCOMPLETE entry if there is none. A due
  // timer of the entry runs first, exactly as poll(now) would have run it. When the queue is full
  // the OLDEST packet is dropped (arp_pending_overflow), as Linux's arp_queue does: the newest
  // packet carries the most current data. Precondition: lookup(ip, now) returned nullopt.
  EnqueueResult enqueue(Ipv4Addr ip, PacketBuffer packet, Instant now);

  // RFC 826 merge: if `ip` has an entry, record `mac` and mark it confirmed at `now` (this also
  // resolves an INCOMPLETE entry). Otherwise create one only when `create` (the ARP packet was
  // addressed to us). Packets waiting for `ip` are appended to `ready`, oldest first, for the
  // caller to send to `mac`; `ready` is caller-owned scratch space reused between calls.
  // Precondition: `mac` is unicast and not zero.
  void learn(Ipv4Addr ip, MacAddr mac, Instant now, bool create, std::vector<PacketBuffer>& ready);

  // Runs every timer due at `now`. An INCOMPLETE entry whose retransmit deadline passed gets
  // another request (its address is appended to `requests`) until max_requests were sent; one
  // interval after the last, it fails: its packets are dropped (arp_resolution_failed once,
  // arp_pending_dropped_unresolved per packet) and it is removed. Resolved entries older than
  // reachable_time are removed. Order of `requests` among addresses is unspecified.
  void poll(Instant now, std::vector<Ipv4Addr>& requests);

  // The earliest retransmit or expiry; kNever when the cache is empty.
  Instant next_deadline() const;

  std::size_t size() const { return entries_.size(); }
  // Packets held by all entries (for leak checks).
  std::size_t pending_packets() const;
  // All entries, sorted by address. Allocates: for the control interface, not the packet path.
  std::vector<NeighborInfo> snapshot(Instant now) const;

 private:
  struct Entry {
    NeighborState state = NeighborState::incomplete;
    MacAddr mac;
    Instant updated;       // reachable: last confirmation; incomplete: creation
    Instant last_request;  // valid when requests_sent > 0
    std::uint32_t requests_sent = 0;
    std::vector<PacketBuffer> pending;  // only while incomplete; oldest first
  };
  using Map = std::unordered_map<std::uint32_t, Entry>;  // keyed by Ipv4Addr::value()

  Instant deadline(const Entry& entry) const;
  // Runs the due timer of `it`: true if a request must be sent (entry kept), false if the entry
  // failed or aged out and was erased (`it` is then invalid).
  bool run_timer(Map::iterator it, Instant now);
  void push_pending(Entry& entry, PacketBuffer packet);
  // True if there is room for one more entry, evicting one if needed.
  bool make_room(Instant now);

  NeighborSettings settings_;
  Counters& counters_;
  Map entries_;
};

}  // namespace tapstack
