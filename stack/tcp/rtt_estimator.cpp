// RFC 6298 RTO estimation. See rtt_estimator.hpp.
#include "stack/tcp/rtt_estimator.hpp"

#include <algorithm>
#include <cassert>
#include <limits>

namespace tapstack {
namespace {

// RFC 6298 §2: clock granularity G. Our clock is nanoseconds; 1 ms keeps the RTO above
// SRTT by a margin even when RTTVAR decays to zero on a perfectly steady path.
constexpr Duration kGranularity = std::chrono::milliseconds(1);
constexpr int kK = 4;  // RFC 6298 §2: K = 4

Duration abs_difference(Duration a, Duration b) {
  return a > b ? a - b : b - a;
}

}  // namespace

RttEstimator::RttEstimator(const RtoSettings& settings) : settings_(settings) {
  assert(settings.min > Duration::zero() && settings.min <= settings.initial &&
         settings.initial <= settings.max);
}

void RttEstimator::sample(Duration rtt) {
  assert(rtt >= Duration::zero());
  latest_ = rtt;
  min_rtt_ = min_rtt_ ? std::min(*min_rtt_, rtt) : rtt;
  if (!srtt_) {
    // RFC 6298 §2.2: SRTT <- R, RTTVAR <- R/2.
    srtt_ = rtt;
    rttvar_ = rtt / 2;
  } else {
    // RFC 6298 §2.3, alpha = 1/8, beta = 1/4; RTTVAR first, from the old SRTT.
    rttvar_ = (3 * rttvar_ + abs_difference(*srtt_, rtt)) / 4;
    srtt_ = (7 * *srtt_ + rtt) / 8;
  }
  backoff_count_ = 0;
}

Duration RttEstimator::base_rto() const {
  if (!srtt_) return settings_.initial;  // RFC 6298 §2.1
  const Duration rto = *srtt_ + std::max(kGranularity, kK * rttvar_);
  return std::clamp(rto, settings_.min, settings_.max);  // §2.4, §2.5
}

Duration RttEstimator::rto() const {
  Duration rto = base_rto();
  // RFC 6298 §5.5: double per expiry, capped at max. The loop stops at the cap, so it runs at
  // most log2(max/min) times and never overflows.
  for (unsigned i = 0; i < backoff_count_; ++i) {
    if (rto >= settings_.max / 2) return settings_.max;
    rto *= 2;
  }
  return rto;
}

void RttEstimator::backoff() {
  if (backoff_count_ < std::numeric_limits<unsigned>::max()) ++backoff_count_;
}

}  // namespace tapstack
