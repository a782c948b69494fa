#include "stack/fault/fault_injector.hpp"

#include <algorithm>

namespace tapstack {
namespace {

constexpr std::size_t kEthernetHeaderSize = 14;

}  // namespace

FaultInjector::FaultInjector(const FaultSettings& settings, std::uint64_t seed)
    : settings_(settings), random_(seed) {}

bool FaultInjector::chance(double probability) {
  if (probability <= 0) return false;
  // 53 random bits give a uniform double in [0, 1).
  const double draw = static_cast<double>(random_.next() >> 11) * 0x1.0p-53;
  return draw < probability;
}

// When the frame leaves the (possibly rate-limited) link: serialisation after the frames ahead
// of it, then the fixed delay and the jitter.
Instant FaultInjector::departure(std::size_t size, Instant now) {
  Instant sent = now;
  if (settings_.rate_bits_per_second > 0) {
    const auto bits = static_cast<std::uint64_t>(size) * 8;
    const Duration serialisation{bits * 1'000'000'000 / settings_.rate_bits_per_second};
    link_free_at_ = std::max(link_free_at_, now) + serialisation;
    sent = link_free_at_;
  }
  Duration extra = settings_.delay;
  if (settings_.jitter > Duration{}) {
    extra += Duration{static_cast<Duration::rep>(
        random_.below(static_cast<std::uint64_t>(settings_.jitter.count()) + 1))};
  }
  return sent + extra;
}

void FaultInjector::hold(std::vector<std::byte> bytes, Instant due) {
  queue_.push(Held{due, next_order_++, std::move(bytes)});
}

void FaultInjector::push(wire::Bytes frame, Instant now) {
  if (chance(settings_.drop)) {
    ++counters_.dropped;
    return;
  }
  if (queue_.size() >= settings_.queue_limit) {
    ++counters_.overflowed;
    return;
  }
  std::vector<std::byte> bytes(frame.begin(), frame.end());
  if (bytes.size() > kEthernetHeaderSize && chance(settings_.corrupt)) {
    const std::size_t span = bytes.size() - kEthernetHeaderSize;
    const std::size_t index = kEthernetHeaderSize + random_.below(span);
    bytes[index] ^= std::byte{static_cast<unsigned char>(1U << random_.below(8))};
    ++counters_.corrupted;
  }
  Instant due = departure(bytes.size(), now);
  if (chance(settings_.reorder)) {
    due += settings_.reorder_delay;
    ++counters_.reordered;
  }
  if (chance(settings_.duplicate) && queue_.size() + 1 < settings_.queue_limit) {
    ++counters_.duplicated;
    hold(bytes, due);
  }
  hold(std::move(bytes), due);
}

}  // namespace tapstack
