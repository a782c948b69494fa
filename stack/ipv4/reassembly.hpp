// IPv4 fragment reassembly: RFC 791 §3.2 (reassembly procedure and timer), RFC 815 (tracking what
// is still missing), RFC 1122 §3.3.2 (reassembly must be supported; timeout), and Linux's
// ip_fragment.c for the policy on overlaps (see ReassemblyQueue).
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <list>
#include <map>
#include <optional>
#include <span>
#include <vector>

#include "stack/base/address.hpp"
#include "stack/base/time.hpp"
#include "stack/stats/counters.hpp"

namespace tapstack {

struct ReassemblySettings {
  // RFC 791 §3.2 leaves the timer to the implementation; Linux uses 30 s (ipfrag_time).
  Duration timeout = std::chrono::seconds(30);
  // Bound on all partially reassembled datagrams together, as accounted by memory_used().
  std::size_t memory_limit = 4u << 20;
};

// RFC 791 §3.2: fragments belong to the same datagram when source, destination, protocol and
// identification are equal.
struct FragmentKey {
  Ipv4Addr source;
  Ipv4Addr destination;
  std::uint8_t protocol = 0;
  std::uint16_t id = 0;

  auto operator<=>(const FragmentKey&) const = default;
};

// One received fragment, its header already validated by the IPv4 input path.
struct Fragment {
  FragmentKey key;
  std::size_t offset = 0;  // bytes (fragment offset field * 8); precondition: multiple of 8
  bool more_fragments = false;
  std::span<const std::byte> payload;  // borrowed for the duration of add()
};

struct ReassembledDatagram {
  FragmentKey key;
  // The whole IPv4 payload. Owned by the queue: valid until the next call on the queue.
  std::span<const std::byte> payload;
};

// Collects fragments until a datagram is complete, with a timeout and a memory bound.
//
// Overlap policy: a fragment with the same offset and length as one already held is a duplicate
// (ignored, counted ipv4_frag_duplicates); any other overlap discards the whole datagram
// (ipv4_frag_drop_overlap). This is what Linux does since 4.19 for IPv4 and what RFC 5722 requires
// for IPv6: honest senders never produce partial overlaps, while accepting them enables teardrop
// style attacks and IDS evasion (which copy "wins" differs between stacks).
//
// Memory accounting: memory_used() is the payload bytes held plus kDatagramOverhead per datagram
// plus kFragmentOverhead per fragment held. The per-fragment part keeps many tiny fragments from
// growing bookkeeping past memory_limit. When a fragment would exceed the limit, the oldest other
// datagrams are discarded first (ipv4_frag_drop_memory_cap each). Besides memory_used(), the queue
// keeps one output buffer of at most kMaxPayload bytes for the last reassembled datagram.
//
// Not thread-safe; one queue per Stack.
class ReassemblyQueue {
 public:
  // RFC 791 §3.1: total length is 16 bits and includes a header of at least 20 bytes.
  static constexpr std::size_t kMaxPayload = 65535 - 20;
  static constexpr std::size_t kDatagramOverhead = 256;
  static constexpr std::size_t kFragmentOverhead = 64;

  // `counters` must outlive the queue.
  ReassemblyQueue(const ReassemblySettings& settings, Counters& counters);

  // Takes one fragment (payload copied). Returns the datagram when this fragment completes it.
  // Also expires datagrams whose timer ran out by `now`, so late fragments never join them.
  // Precondition: `now` never goes backwards between calls.
  std::optional<ReassembledDatagram> add(const Fragment& fragment, Instant now);
  // Discards datagrams whose first fragment arrived `timeout` or longer before `now`.
  void poll(Instant now);
  // When poll() next has work; kNever when no datagram is pending.
  Instant next_deadline() const;

  std::size_t memory_used() const { return memory_used_; }
  std::size_t datagrams() const { return pending_.size(); }

 private:
  // A datagram being reassembled. Fragments never overlap and are keyed by offset.
  struct PendingDatagram {
    FragmentKey key;
    Instant first_arrival;
    std::map<std::size_t, std::vector<std::byte>> fragments;
    std::optional<std::size_t> total_length;  // known once the last fragment (MF = 0) arrived
    std::size_t bytes_received = 0;
    std::size_t memory = kDatagramOverhead;  // this datagram's share of memory_used_
  };
  using PendingList = std::list<PendingDatagram>;  // oldest first = earliest deadline first

  enum class Placement { kNew, kDuplicate, kOverlap };

  // Drops (and counts) fragments that are malformed on their own.
  bool fragment_is_valid(const Fragment& fragment);
  // Checks the fragment against the known end of the datagram; records the end of a last fragment.
  bool accept_end(PendingDatagram& datagram, const Fragment& fragment);
  static Placement placement(const PendingDatagram& datagram, const Fragment& fragment);
  // Evicts the oldest datagrams other than `target` until `charge` more bytes fit. If not even
  // `target` alone (end(): a new datagram) can grow by `charge`, discards it and returns false.
  bool make_room(PendingList::iterator target, std::size_t charge);
  PendingList::iterator create(const FragmentKey& key, Instant now);
  void store(PendingDatagram& datagram, const Fragment& fragment);
  // The reassembled datagram if `datagram` is complete (then released), else nullopt.
  std::optional<ReassembledDatagram> finish(PendingList::iterator datagram);
  void discard(PendingList::iterator datagram, Counter reason);
  void release(PendingList::iterator datagram);

  ReassemblySettings settings_;
  Counters& counters_;
  PendingList pending_;
  std::map<FragmentKey, PendingList::iterator> index_;
  std::size_t memory_used_ = 0;
  std::vector<std::byte> assembled_;  // backs the last ReassembledDatagram
};

}  // namespace tapstack
