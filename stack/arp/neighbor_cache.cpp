#include "stack/arp/neighbor_cache.hpp"

#include <algorithm>
#include <cassert>
#include <iterator>

namespace tapstack {

std::string_view to_string(NeighborState state) {
  switch (state) {
    case NeighborState::incomplete:
      return "incomplete";
    case NeighborState::reachable:
      return "reachable";
  }
  return "?";
}

NeighborCache::NeighborCache(const NeighborSettings& settings, Counters& counters)
    : settings_(settings), counters_(counters) {
  assert(settings.max_requests >= 1 && settings.max_entries >= 1 &&
         settings.max_pending_packets >= 1);
  assert(settings.retransmit_interval > Duration::zero() &&
         settings.reachable_time >= settings.retransmit_interval);
  // Never rehash in steady state: the table never holds more than max_entries.
  entries_.reserve(settings.max_entries);
}

std::optional<MacAddr> NeighborCache::lookup(Ipv4Addr ip, Instant now) const {
  const auto it = entries_.find(ip.value());
  if (it == entries_.end() || it->second.state != NeighborState::reachable) return std::nullopt;
  // An aged-out entry is stale even before poll() removes it.
  if (now >= deadline(it->second)) return std::nullopt;
  return it->second.mac;
}

NeighborCache::EnqueueResult NeighborCache::enqueue(Ipv4Addr ip, PacketBuffer packet, Instant now) {
  auto it = entries_.find(ip.value());
  if (it != entries_.end() && now >= deadline(it->second)) {
    // The entry's timer is due but poll() has not run yet: run it now, so the outcome does not
    // depend on the order of calls within one loop turn.
    if (run_timer(it, now)) {
      push_pending(it->second, std::move(packet));
      return EnqueueResult::send_request;
    }
    it = entries_.end();  // failed or aged out: resolution starts afresh below
  }
  if (it != entries_.end()) {
    assert(it->second.state == NeighborState::incomplete && "lookup() first");
    push_pending(it->second, std::move(packet));
    return EnqueueResult::queued;
  }
  if (!make_room(now)) {
    counters_.add(Counter::arp_table_full);
    return EnqueueResult::dropped;  // `packet` returns to its pool here
  }
  Entry& entry = entries_[ip.value()];
  entry.updated = now;
  entry.last_request = now;
  entry.requests_sent = 1;
  push_pending(entry, std::move(packet));
  return EnqueueResult::send_request;
}

void NeighborCache::learn(Ipv4Addr ip, MacAddr mac, Instant now, bool create,
                          std::vector<PacketBuffer>& ready) {
  assert(!mac.is_multicast() && !mac.is_zero());
  auto it = entries_.find(ip.value());
  if (it == entries_.end()) {
    // RFC 826: "If the pair <protocol type, sender protocol address> is not already in the
    // table" -- only when we are the target -- "merge it in".
    if (!create) return;
    if (!make_room(now)) {
      counters_.add(Counter::arp_table_full);
      return;
    }
    it = entries_.try_emplace(ip.value()).first;
  }
  Entry& entry = it->second;
  entry.state = NeighborState::reachable;
  entry.mac = mac;
  entry.updated = now;
  // RFC 1122 §2.3.2.2: transmit the queued packets once the address is resolved.
  for (PacketBuffer& packet : entry.pending) ready.push_back(std::move(packet));
  entry.pending.clear();  // keeps its capacity for the next resolution of this address
}

void NeighborCache::poll(Instant now, std::vector<Ipv4Addr>& requests) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    // Erasing invalidates only the erased element's iterator.
    const auto next = std::next(it);
    if (now >= deadline(it->second) && run_timer(it, now)) requests.push_back(Ipv4Addr{it->first});
    it = next;
  }
}

Instant NeighborCache::next_deadline() const {
  Instant earliest = kNever;
  for (const auto& [ip, entry] : entries_) earliest = std::min(earliest, deadline(entry));
  return earliest;
}

std::size_t NeighborCache::pending_packets() const {
  std::size_t total = 0;
  for (const auto& [ip, entry] : entries_) total += entry.pending.size();
  return total;
}

std::vector<NeighborInfo> NeighborCache::snapshot(Instant now) const {
  std::vector<NeighborInfo> out;
  out.reserve(entries_.size());
  for (const auto& [ip, entry] : entries_) {
    out.push_back({Ipv4Addr{ip}, entry.state, entry.mac, now - entry.updated, entry.requests_sent,
                   entry.pending.size()});
  }
  std::ranges::sort(out, {}, &NeighborInfo::ip);
  return out;
}

Instant NeighborCache::deadline(const Entry& entry) const {
  if (entry.state == NeighborState::reachable) return entry.updated + settings_.reachable_time;
  return entry.last_request + settings_.retransmit_interval;
}

bool NeighborCache::run_timer(Map::iterator it, Instant now) {
  Entry& entry = it->second;
  if (entry.state == NeighborState::incomplete) {
    if (entry.requests_sent < settings_.max_requests) {
      // RFC 1122 §2.3.2.1: retransmit, at most once per retransmit_interval.
      ++entry.requests_sent;
      entry.last_request = now;
      return true;
    }
    counters_.add(Counter::arp_resolution_failed);
    counters_.add(Counter::arp_pending_dropped_unresolved, entry.pending.size());
  }
  assert(entry.state == NeighborState::incomplete || entry.pending.empty());
  entries_.erase(it);  // drops any queued packets, returning them to their pool
  return false;
}

void NeighborCache::push_pending(Entry& entry, PacketBuffer packet) {
  if (entry.pending.size() >= settings_.max_pending_packets) {
    entry.pending.erase(entry.pending.begin());  // oldest; at most max_pending_packets moves
    counters_.add(Counter::arp_pending_overflow);
  }
  if (entry.pending.capacity() == 0) entry.pending.reserve(settings_.max_pending_packets);
  entry.pending.push_back(std::move(packet));
}

bool NeighborCache::make_room(Instant now) {
  if (entries_.size() < settings_.max_entries) return true;
  auto victim = entries_.end();
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    const Entry& entry = it->second;
    if (entry.state != NeighborState::reachable) continue;
    // Keep an address requested less than retransmit_interval ago: re-creating it would send
    // its next request too early (RFC 1122 §2.3.2.1).
    if (entry.requests_sent > 0 && now < entry.last_request + settings_.retransmit_interval) {
      continue;
    }
    if (victim == entries_.end() || entry.updated < victim->second.updated) victim = it;
  }
  if (victim == entries_.end()) return false;
  entries_.erase(victim);
  return true;
}

}  // namespace tapstack
