// IPv4 fragment reassembly: RFC 791 §3.2, RFC 815, RFC 1122 §3.3.2; overlap policy as Linux 4.19+.
#include "stack/ipv4/reassembly.hpp"

#include <algorithm>
#include <cassert>
#include <iterator>
#include <utility>

#include "stack/wire/bytes.hpp"

namespace tapstack {
namespace {

std::size_t fragment_end(const Fragment& fragment) {
  return fragment.offset + fragment.payload.size();
}

std::size_t fragment_charge(const Fragment& fragment) {
  return fragment.payload.size() + ReassemblyQueue::kFragmentOverhead;
}

}  // namespace

ReassemblyQueue::ReassemblyQueue(const ReassemblySettings& settings, Counters& counters)
    : settings_(settings), counters_(counters) {}

std::optional<ReassembledDatagram> ReassemblyQueue::add(const Fragment& fragment, Instant now) {
  assert(fragment.offset % 8 == 0 && "the offset field counts 8-byte units");
  counters_.add(Counter::ipv4_frag_rx_fragments);
  poll(now);
  if (!fragment_is_valid(fragment)) return std::nullopt;

  const auto found = index_.find(fragment.key);
  if (found == index_.end()) {
    if (!make_room(pending_.end(), kDatagramOverhead + fragment_charge(fragment))) {
      return std::nullopt;
    }
    const auto datagram = create(fragment.key, now);
    if (!fragment.more_fragments) datagram->total_length = fragment_end(fragment);
    store(*datagram, fragment);
    return finish(datagram);
  }

  const auto datagram = found->second;
  if (!accept_end(*datagram, fragment)) {
    discard(datagram, Counter::ipv4_frag_drop_bad_fragment);
    return std::nullopt;
  }
  switch (placement(*datagram, fragment)) {
    case Placement::kOverlap:
      discard(datagram, Counter::ipv4_frag_drop_overlap);
      return std::nullopt;
    case Placement::kDuplicate:
      // The copy held already has these bytes; only its end information (recorded above) counts.
      counters_.add(Counter::ipv4_frag_duplicates);
      return finish(datagram);
    case Placement::kNew:
      break;
  }
  if (!make_room(datagram, fragment_charge(fragment))) return std::nullopt;
  store(*datagram, fragment);
  return finish(datagram);
}

void ReassemblyQueue::poll(Instant now) {
  // RFC 791 §3.2: when the timer started by the first fragment runs out, the partial datagram is
  // discarded. RFC 1122 §3.3.2: a fixed timeout, not one derived from the TTL. Datagrams are held
  // in arrival order and the timeout is fixed, so the oldest always expires first.
  while (!pending_.empty() && pending_.front().first_arrival + settings_.timeout <= now) {
    discard(pending_.begin(), Counter::ipv4_frag_drop_timeout);
  }
}

Instant ReassemblyQueue::next_deadline() const {
  return pending_.empty() ? kNever : pending_.front().first_arrival + settings_.timeout;
}

bool ReassemblyQueue::fragment_is_valid(const Fragment& fragment) {
  const std::size_t size = fragment.payload.size();
  // RFC 791 §3.2: every fragment but the last carries a whole number of 8-octet blocks. An empty
  // fragment carries nothing to reassemble (Linux drops it as well).
  if (size == 0 || (fragment.more_fragments && size % 8 != 0)) {
    counters_.add(Counter::ipv4_frag_drop_bad_fragment);
    return false;
  }
  // RFC 791 §3.1: the reassembled datagram must fit the 16-bit total length ("ping of death").
  if (fragment_end(fragment) > kMaxPayload) {
    counters_.add(Counter::ipv4_frag_drop_too_big);
    return false;
  }
  return true;
}

bool ReassemblyQueue::accept_end(PendingDatagram& datagram, const Fragment& fragment) {
  const std::size_t end = fragment_end(fragment);
  if (fragment.more_fragments) return !datagram.total_length || end <= *datagram.total_length;
  // RFC 791 §3.2: the last fragment (MF = 0) fixes the total length. A second, different end, or
  // data already held beyond this end, means these fragments are not one datagram.
  const auto& [last_offset, last_bytes] = *datagram.fragments.rbegin();
  const std::size_t highest_end = last_offset + last_bytes.size();
  if (datagram.total_length ? *datagram.total_length != end : end < highest_end) return false;
  datagram.total_length = end;
  return true;
}

ReassemblyQueue::Placement ReassemblyQueue::placement(const PendingDatagram& datagram,
                                                      const Fragment& fragment) {
  const std::size_t begin = fragment.offset;
  const std::size_t end = fragment_end(fragment);
  // Held fragments never overlap, so only the neighbours on either side of `begin` can collide.
  const auto next = datagram.fragments.lower_bound(begin);
  if (next != datagram.fragments.end()) {
    if (next->first == begin && next->second.size() == fragment.payload.size()) {
      return Placement::kDuplicate;
    }
    if (next->first < end) return Placement::kOverlap;
  }
  if (next != datagram.fragments.begin()) {
    const auto& [offset, bytes] = *std::prev(next);
    if (offset + bytes.size() > begin) return Placement::kOverlap;
  }
  return Placement::kNew;
}

bool ReassemblyQueue::make_room(PendingList::iterator target, std::size_t charge) {
  const std::size_t target_memory = target == pending_.end() ? 0 : target->memory;
  if (target_memory + charge > settings_.memory_limit) {
    // Cannot fit even with every other datagram gone: the target can never complete either.
    if (target == pending_.end()) {
      counters_.add(Counter::ipv4_frag_drop_memory_cap);
    } else {
      discard(target, Counter::ipv4_frag_drop_memory_cap);
    }
    return false;
  }
  auto oldest = pending_.begin();
  while (memory_used_ + charge > settings_.memory_limit) {
    if (oldest == target) ++oldest;
    assert(oldest != pending_.end() && "the target alone fits, so another datagram is held");
    discard(std::exchange(oldest, std::next(oldest)), Counter::ipv4_frag_drop_memory_cap);
  }
  return true;
}

ReassemblyQueue::PendingList::iterator ReassemblyQueue::create(const FragmentKey& key,
                                                               Instant now) {
  // Arrival order is deadline order as long as `now` never goes backwards (precondition).
  assert(pending_.empty() || pending_.back().first_arrival <= now);
  const auto datagram = pending_.emplace(pending_.end());
  datagram->key = key;
  datagram->first_arrival = now;
  index_.emplace(key, datagram);
  memory_used_ += datagram->memory;
  return datagram;
}

void ReassemblyQueue::store(PendingDatagram& datagram, const Fragment& fragment) {
  datagram.fragments.emplace(
      fragment.offset, std::vector<std::byte>(fragment.payload.begin(), fragment.payload.end()));
  datagram.bytes_received += fragment.payload.size();
  datagram.memory += fragment_charge(fragment);
  memory_used_ += fragment_charge(fragment);
}

std::optional<ReassembledDatagram> ReassemblyQueue::finish(PendingList::iterator datagram) {
  // Held fragments lie inside [0, total_length) without overlapping (RFC 815's hole list is
  // empty exactly then), so the byte count tells whether every hole is filled.
  if (!datagram->total_length || datagram->bytes_received != *datagram->total_length) {
    return std::nullopt;
  }
  assembled_.resize(*datagram->total_length);
  for (const auto& [offset, bytes] : datagram->fragments) {
    wire::copy_bytes(bytes, assembled_.data() + offset);
  }
  const FragmentKey key = datagram->key;
  release(datagram);
  counters_.add(Counter::ipv4_frag_reassembled);
  return ReassembledDatagram{.key = key, .payload = assembled_};
}

void ReassemblyQueue::discard(PendingList::iterator datagram, Counter reason) {
  counters_.add(reason);
  release(datagram);
}

void ReassemblyQueue::release(PendingList::iterator datagram) {
  memory_used_ -= datagram->memory;
  index_.erase(datagram->key);
  pending_.erase(datagram);
}

}  // namespace tapstack
