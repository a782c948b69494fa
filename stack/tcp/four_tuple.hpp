// A TCP connection's identity: local and remote address and port (RFC 9293 §3.3.2).
#pragma once

#include <cstdint>
#include <functional>

#include "stack/base/address.hpp"

namespace tapstack {

struct FourTuple {
  Ipv4Addr local_addr;
  std::uint16_t local_port = 0;
  Ipv4Addr remote_addr;
  std::uint16_t remote_port = 0;

  bool operator==(const FourTuple&) const = default;
};

// For unordered containers inside one Stack. Not a defence against chosen collisions: tables
// keyed by remote-controlled tuples are bounded in size instead.
struct FourTupleHash {
  std::size_t operator()(const FourTuple& t) const {
    std::uint64_t h = (std::uint64_t{t.local_addr.value()} << 32) | t.remote_addr.value();
    h ^= (std::uint64_t{t.local_port} << 16 | t.remote_port) * 0x9e3779b97f4a7c15ULL;
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ULL;
    return static_cast<std::size_t>(h ^ (h >> 32));
  }
};

}  // namespace tapstack
