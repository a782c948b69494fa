// Ephemeral port selection for connect(), RFC 6056 §3.3.4 Algorithm 4 ("double-hash port
// selection"). Each destination (local address, remote address, remote port) starts at its own
// secret offset F() in the range, so an off-path attacker cannot guess our port; a table of 256
// perturbation counters, picked by a second hash G(), moves successive connections to the same
// destination onward (reducing TIME_WAIT collisions, RFC 6056 §3.3.4) while keeping the
// sequences of unrelated destinations independent.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>

#include "stack/base/address.hpp"
#include "stack/base/random.hpp"
#include "stack/tcp/siphash.hpp"

namespace tapstack {

class EphemeralPorts {
 public:
  // RFC 6056 TABLE_LENGTH.
  static constexpr std::size_t kTableLength = 256;
  // Linux's ip_local_port_range default.
  static constexpr std::uint16_t kDefaultFirst = 32768;
  static constexpr std::uint16_t kDefaultLast = 60999;

  // Draws both secrets and the initial table from `random`. Precondition: 0 < first <= last.
  explicit EphemeralPorts(Random& random, std::uint16_t first = kDefaultFirst,
                          std::uint16_t last = kDefaultLast);

  // A port in [first, last] for a connection from `local` to `remote`:`remote_port` for which
  // `in_use(port)` is false; the predicate says whether that port cannot be used for this
  // destination (RFC 6056 check_suitable_port). nullopt when every port in the range is in use
  // (EADDRNOTAVAIL). Calls `in_use` at most once per port in the range.
  std::optional<std::uint16_t> pick(Ipv4Addr local, Ipv4Addr remote, std::uint16_t remote_port,
                                    const std::function<bool(std::uint16_t)>& in_use);

  std::uint16_t first() const { return first_; }
  std::uint16_t last() const { return last_; }

 private:
  std::uint16_t first_;
  std::uint16_t last_;
  SipKey offset_secret_;  // secret_key1 of F()
  SipKey index_secret_;   // secret_key2 of G()
  std::array<std::uint32_t, kTableLength> table_{};
};

}  // namespace tapstack
