// Initial sequence numbers, RFC 6528 §3 (and RFC 9293 §3.4.1):
//   ISN = M + F(localip, localport, remoteip, remoteport, secretkey)
// M is a timer ticking every 4 microseconds, so successive incarnations of one connection get
// increasing ISNs (old duplicates fall behind the new sequence space); F is SipHash-2-4 under a
// secret drawn at start-up, so an off-path attacker cannot predict another tuple's ISN.
#pragma once

#include <cstdint>

#include "stack/base/random.hpp"
#include "stack/base/time.hpp"
#include "stack/tcp/four_tuple.hpp"
#include "stack/tcp/seq_num.hpp"
#include "stack/tcp/siphash.hpp"

namespace tapstack {

class IsnGenerator {
 public:
  // Draws the secret key from `random` (RFC 6528 §3: chosen at boot, not guessable).
  explicit IsnGenerator(Random& random) : secret_(SipKey::random(random)) {}
  explicit IsnGenerator(const SipKey& secret) : secret_(secret) {}

  // RFC 9293 §3.4.1: the 4-microsecond clock M, modulo 2^32 (wraps every ~4.77 hours).
  static std::uint32_t clock_ticks(Instant now);

  // The ISN for a connection with identity `tuple` (local = this stack) opened at `now`.
  SeqNum next(const FourTuple& tuple, Instant now) const {
    // F: RFC 6528 asks for a 32-bit value; the low half of SipHash's 64 bits is uniform.
    const auto offset = static_cast<std::uint32_t>(siphash24(secret_, tuple));
    return SeqNum{clock_ticks(now) + offset};
  }

 private:
  SipKey secret_;
};

}  // namespace tapstack
