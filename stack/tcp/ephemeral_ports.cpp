#include "stack/tcp/ephemeral_ports.hpp"

#include <cassert>

#include "stack/tcp/four_tuple.hpp"

namespace tapstack {

EphemeralPorts::EphemeralPorts(Random& random, std::uint16_t first, std::uint16_t last)
    : first_(first),
      last_(last),
      offset_secret_(SipKey::random(random)),
      index_secret_(SipKey::random(random)) {
  assert(0 < first && first <= last);
  // RFC 6056 §3.3.4: table[i] = random() % 65536 at initialization.
  for (auto& counter : table_) counter = static_cast<std::uint32_t>(random.below(65536));
}

std::optional<std::uint16_t> EphemeralPorts::pick(
    Ipv4Addr local, Ipv4Addr remote, std::uint16_t remote_port,
    const std::function<bool(std::uint16_t)>& in_use) {
  // F and G hash (local_IP, remote_IP, remote_port): the local port is what we are choosing.
  const FourTuple destination{
      .local_addr = local, .local_port = 0, .remote_addr = remote, .remote_port = remote_port};
  const std::uint64_t offset = static_cast<std::uint32_t>(siphash24(offset_secret_, destination));
  const std::size_t index = siphash24(index_secret_, destination) % kTableLength;
  const std::uint64_t num_ephemeral = std::uint64_t{last_} - first_ + 1;

  for (std::uint64_t count = num_ephemeral; count > 0; --count) {
    const auto port = static_cast<std::uint16_t>(first_ + (offset + table_[index]) % num_ephemeral);
    // RFC 6056: the counter advances on every attempt, so the next connect to this
    // destination starts past the ports just found busy.
    ++table_[index];
    if (!in_use(port)) return port;
  }
  return std::nullopt;
}

}  // namespace tapstack
