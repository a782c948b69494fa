// The accepted range of every bounded configuration value, in one place. config/defaults.yaml
// documents the same ranges next to each key; change both together.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

#include "stack/base/time.hpp"

namespace tapstack::config::limits {

template <typename T>
struct Range {
  T min;
  T max;
  constexpr bool contains(T value) const { return min <= value && value <= max; }
};

using namespace std::chrono_literals;

// Linux IFNAMSIZ is 16 bytes including the terminating NUL.
inline constexpr std::size_t kMaxTapNameLength = 15;
// RFC 791: every internet module must be able to forward a datagram of 68 octets. The Linux TAP
// driver caps the MTU at 65535 minus the 14-byte Ethernet header.
inline constexpr Range<std::uint16_t> kMtu{68, 65521};

inline constexpr Range<Duration> kArpReachableTime{1s, 1h};
// RFC 1122 §2.3.2.1 recommends at most one ARP request per second per destination; shorter
// intervals are for test setups.
inline constexpr Range<Duration> kArpRetransmitInterval{100ms, 1min};
inline constexpr Range<std::uint32_t> kArpMaxRequests{1, 100};
inline constexpr Range<std::uint32_t> kArpMaxEntries{1, 65536};
inline constexpr Range<std::uint32_t> kArpMaxPendingPackets{1, 1024};

inline constexpr Range<std::uint8_t> kDefaultTtl{1, 255};
inline constexpr Range<Duration> kReassemblyTimeout{1s, 5min};
// At least one maximum-size datagram must fit (RFC 791: total length is 16 bits).
inline constexpr Range<std::uint64_t> kReassemblyMemory{64 * 1024, 1024 * 1024 * 1024};

inline constexpr Range<std::uint32_t> kTapRxBuffers{1, 4096};
inline constexpr Range<std::uint32_t> kTapTxBuffers{1, 65536};

// sockaddr_un::sun_path is 108 bytes including the terminating NUL.
inline constexpr std::size_t kMaxSocketPathLength = 107;

}  // namespace tapstack::config::limits
