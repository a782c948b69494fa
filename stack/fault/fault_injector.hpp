// Link impairment for tests and for the daemon's TAP path: drop, duplicate, corrupt, delay with
// jitter, reorder and rate-limit frames, deterministically from a seed. The kernel here has no
// netem, so this is how the simulation and the integration tests impair a link.
//
// A FaultInjector sits on one direction of a link: frames are pushed in, and come out when their
// time has come. Pure like the rest of stack/: no clock, the caller passes `now`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <queue>
#include <vector>

#include "stack/base/random.hpp"
#include "stack/base/time.hpp"
#include "stack/wire/bytes.hpp"

namespace tapstack {

struct FaultSettings {
  // Probabilities in [0, 1], each decided independently per frame.
  double drop = 0;
  double duplicate = 0;
  double corrupt = 0;  // flips one bit after the Ethernet header
  double reorder = 0;  // holds the frame back by reorder_delay so later frames overtake it
  Duration delay{};    // added to every frame
  Duration jitter{};   // plus a uniform random extra in [0, jitter]
  Duration reorder_delay = std::chrono::milliseconds(5);
  // Bottleneck rate in bits per second (0: unlimited). Frames are serialised one after the
  // other, so a burst queues; beyond queue_limit frames they are tail-dropped, like a router.
  std::uint64_t rate_bits_per_second = 0;
  std::size_t queue_limit = 10000;

  bool enabled() const {
    return drop > 0 || duplicate > 0 || corrupt > 0 || reorder > 0 || delay > Duration{} ||
           jitter > Duration{} || rate_bits_per_second > 0;
  }
  bool operator==(const FaultSettings&) const = default;
};

struct FaultCounters {
  std::uint64_t passed = 0;  // frames delivered (duplicates included)
  std::uint64_t dropped = 0;
  std::uint64_t duplicated = 0;
  std::uint64_t corrupted = 0;
  std::uint64_t reordered = 0;
  std::uint64_t overflowed = 0;  // tail-dropped at queue_limit
};

class FaultInjector {
 public:
  FaultInjector(const FaultSettings& settings, std::uint64_t seed);

  // Decides the fate of one frame and queues a copy (or two, or none).
  void push(wire::Bytes frame, Instant now);

  // Hands every frame due at `now` to `deliver(wire::Bytes)`, earliest first.
  template <typename Deliver>
  void deliver_due(Instant now, Deliver&& deliver) {
    while (!queue_.empty() && queue_.top().due <= now) {
      // priority_queue::top is const: move out through a copy of the handle, then pop.
      Held held = queue_.top();
      queue_.pop();
      ++counters_.passed;
      deliver(wire::Bytes{held.bytes});
    }
  }

  Instant next_deadline() const { return queue_.empty() ? kNever : queue_.top().due; }
  std::size_t queued() const { return queue_.size(); }
  const FaultCounters& counters() const { return counters_; }
  const FaultSettings& settings() const { return settings_; }

 private:
  struct Held {
    Instant due;
    std::uint64_t order;  // FIFO among equal due times
    std::vector<std::byte> bytes;
  };
  struct Later {
    bool operator()(const Held& a, const Held& b) const {
      return a.due != b.due ? a.due > b.due : a.order > b.order;
    }
  };

  bool chance(double probability);
  Instant departure(std::size_t size, Instant now);
  void hold(std::vector<std::byte> bytes, Instant due);

  FaultSettings settings_;
  Random random_;
  std::priority_queue<Held, std::vector<Held>, Later> queue_;
  std::uint64_t next_order_ = 0;
  Instant link_free_at_{};  // when the rate-limited link finishes its current frame
  FaultCounters counters_;
};

}  // namespace tapstack
