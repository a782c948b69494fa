// SYN cookies (RFC 4987 §3.6): when a listener's SYN queue is full, answer the SYN without
// keeping state and encode what the connection needs into our ISN, to be recovered from the
// ACK that completes the handshake. The encoding is Linux's (net/ipv4/syncookies.c):
//
//   cookie = hash1(tuple) + client_isn + (count << 24) + ((hash2(tuple, count) + mss_index) &
//   0xffffff)
//
// count is the minute counter of virtual time (Linux: jiffies / 60 s); a cookie is accepted
// while the minute counter has advanced by less than kMaxAge (so for 1 to 2 minutes). The hashes
// are SipHash-2-4 under two secrets drawn at construction.
//
// What survives: the cookie keeps only the MSS, as an index into kMssTable. When the client sent
// timestamps (RFC 7323), the low 6 bits of our TSval carry its window scale and SACK-permitted,
// which come back in the ACK's TSecr (Linux cookie_init_timestamp). Without timestamps the window
// scale and SACK are lost: the connection proceeds without them, as in Linux. TSecr is not
// authenticated: a client can only change the options of its own connection.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>

#include "stack/base/random.hpp"
#include "stack/base/time.hpp"
#include "stack/tcp/four_tuple.hpp"
#include "stack/tcp/seq_num.hpp"
#include "stack/tcp/siphash.hpp"

namespace tapstack {

struct SynCookieOptions {
  std::uint16_t mss = 536;                   // RFC 9293 §3.7.1 default when the SYN has none
  std::optional<std::uint8_t> window_scale;  // the client's shift count (RFC 7323 §2.2)
  bool sack_permitted = false;               // RFC 2018

  bool operator==(const SynCookieOptions&) const = default;
};

class SynCookies {
 public:
  // Linux msstab: MSS values common on the Internet, so that rounding down costs little.
  static constexpr std::array<std::uint16_t, 4> kMssTable{536, 1300, 1440, 1460};
  // Linux MAX_SYNCOOKIE_AGE, in minutes of `count`.
  static constexpr std::uint32_t kMaxAge = 2;
  static constexpr Duration kCountPeriod = std::chrono::minutes(1);

  // Draws both secrets from `random`.
  explicit SynCookies(Random& random);

  struct Encoded {
    SeqNum isn;                          // our ISN for the SYN-ACK
    std::optional<std::uint32_t> tsval;  // our TSval for the SYN-ACK, when the client sent TS
  };

  // The SYN-ACK's ISN (and TSval) for a SYN from `tuple` (local = this stack) carrying
  // `client_isn`. `wanted.mss` is rounded down to a kMssTable value (a client MSS below 536
  // becomes 536: RFC 1122 §3.3.2 requires every host to accept 576-byte datagrams, as Linux
  // relies on). `ts_now` is our current TSval clock.
  Encoded encode(const FourTuple& tuple, SeqNum client_isn, const SynCookieOptions& wanted,
                 bool client_has_timestamps, std::uint32_t ts_now, Instant now) const;

  // From the final ACK of the handshake: ack = isn + 1, seq = client_isn + 1, tsecr = our echoed
  // TSval if the ACK has a timestamp option. nullopt when the cookie is forged, for another
  // tuple, or too old.
  std::optional<SynCookieOptions> decode(const FourTuple& tuple, SeqNum ack, SeqNum seq,
                                         std::optional<std::uint32_t> tsecr, Instant now) const;

  // The minute counter `count` at `now`.
  static std::uint32_t count_at(Instant now);

 private:
  std::uint32_t hash1(const FourTuple& tuple) const;
  std::uint32_t hash2(const FourTuple& tuple, std::uint32_t count) const;

  SipKey secret1_;
  SipKey secret2_;
};

}  // namespace tapstack
