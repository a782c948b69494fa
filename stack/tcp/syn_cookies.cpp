#include "stack/tcp/syn_cookies.hpp"

#include <algorithm>

namespace tapstack {
namespace {

// Linux COOKIEBITS: the low 24 bits carry hash2 + MSS index, the top 8 the minute counter.
constexpr unsigned kCookieBits = 24;
constexpr std::uint32_t kCookieMask = (std::uint32_t{1} << kCookieBits) - 1;

// Linux TSBITS and the option bits in the low bits of our TSval.
constexpr unsigned kTsBits = 6;
constexpr std::uint32_t kTsOptionsMask = (std::uint32_t{1} << kTsBits) - 1;
constexpr std::uint32_t kTsWscaleMask = 0x0f;  // 0xf: no window scaling
constexpr std::uint32_t kTsSack = 1U << 4;
constexpr std::uint32_t kTsEcn = 1U << 5;  // never set by us: ECN is not implemented
constexpr std::uint8_t kMaxWindowScale = 14;

std::uint32_t mss_index_for(std::uint16_t mss) {
  std::uint32_t index = SynCookies::kMssTable.size() - 1;
  while (index > 0 && SynCookies::kMssTable[index] > mss) --index;
  return index;
}

std::uint32_t timestamp_options(const SynCookieOptions& wanted) {
  // RFC 7323 §2.3: a shift count above 14 is used as 14.
  std::uint32_t options =
      wanted.window_scale ? std::min(*wanted.window_scale, kMaxWindowScale) : kTsWscaleMask;
  if (wanted.sack_permitted) options |= kTsSack;
  return options;
}

// Linux cookie_init_timestamp: ts_now with its low bits replaced by the options, moved one step
// back when that would be ahead of the clock (our TSvals must not go backwards afterwards).
std::uint32_t timestamp_with_options(std::uint32_t ts_now, std::uint32_t options) {
  std::uint32_t ts = (ts_now & ~kTsOptionsMask) | options;
  if ((ts & kTsOptionsMask) > (ts_now & kTsOptionsMask)) ts -= kTsOptionsMask + 1;
  return ts;
}

// Linux cookie_timestamp_decode. nullopt when the echoed bits cannot be ours.
std::optional<SynCookieOptions> options_from_timestamp(std::uint32_t tsecr, std::uint16_t mss) {
  if ((tsecr & kTsEcn) != 0) return std::nullopt;
  SynCookieOptions options{.mss = mss, .window_scale = std::nullopt, .sack_permitted = false};
  options.sack_permitted = (tsecr & kTsSack) != 0;
  // 0..14 is a shift count and 15 means none: every 4-bit value is meaningful.
  const std::uint32_t wscale = tsecr & kTsWscaleMask;
  if (wscale != kTsWscaleMask) options.window_scale = static_cast<std::uint8_t>(wscale);
  return options;
}

}  // namespace

SynCookies::SynCookies(Random& random)
    : secret1_(SipKey::random(random)), secret2_(SipKey::random(random)) {}

std::uint32_t SynCookies::count_at(Instant now) {
  return static_cast<std::uint32_t>(
      std::chrono::floor<std::chrono::minutes>(now.time_since_epoch()).count());
}

std::uint32_t SynCookies::hash1(const FourTuple& tuple) const {
  return static_cast<std::uint32_t>(siphash24(secret1_, tuple, 0));
}

std::uint32_t SynCookies::hash2(const FourTuple& tuple, std::uint32_t count) const {
  return static_cast<std::uint32_t>(siphash24(secret2_, tuple, count));
}

SynCookies::Encoded SynCookies::encode(const FourTuple& tuple, SeqNum client_isn,
                                       const SynCookieOptions& wanted, bool client_has_timestamps,
                                       std::uint32_t ts_now, Instant now) const {
  const std::uint32_t count = count_at(now);
  const std::uint32_t cookie = hash1(tuple) + client_isn.value() + (count << kCookieBits) +
                               ((hash2(tuple, count) + mss_index_for(wanted.mss)) & kCookieMask);
  Encoded encoded{.isn = SeqNum{cookie}, .tsval = std::nullopt};
  if (client_has_timestamps) {
    encoded.tsval = timestamp_with_options(ts_now, timestamp_options(wanted));
  }
  return encoded;
}

std::optional<SynCookieOptions> SynCookies::decode(const FourTuple& tuple, SeqNum ack, SeqNum seq,
                                                   std::optional<std::uint32_t> tsecr,
                                                   Instant now) const {
  const std::uint32_t client_isn = seq.value() - 1;
  const std::uint32_t cookie = ack.value() - 1 - hash1(tuple) - client_isn;
  // Linux check_tcp_syn_cookie: the top 8 bits hold the minute counter at encoding time.
  const std::uint32_t count = count_at(now);
  const std::uint32_t age = (count - (cookie >> kCookieBits)) & (0xffffffffU >> kCookieBits);
  if (age >= kMaxAge) return std::nullopt;
  const std::uint32_t mss_index = (cookie - hash2(tuple, count - age)) & kCookieMask;
  if (mss_index >= kMssTable.size()) return std::nullopt;
  const std::uint16_t mss = kMssTable[mss_index];
  if (!tsecr)
    return SynCookieOptions{.mss = mss, .window_scale = std::nullopt, .sack_permitted = false};
  return options_from_timestamp(*tsecr, mss);
}

}  // namespace tapstack
