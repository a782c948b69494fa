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
inline constexpr Range<std::uint32_t> kIpcMaxClients{1, 65536};
inline constexpr Range<std::uint32_t> kIpcMaxSockets{1, 1048576};
inline constexpr Range<std::uint16_t> kUnprivilegedPortStart{0, 65535};
// One TCP socket at the smallest buffers (4 KiB each way) must fit.
inline constexpr Range<std::uint64_t> kIpcMaxBufferPerClient{8 * 1024, 1ULL << 40};
inline constexpr Range<std::uint32_t> kArpMaxEntries{1, 65536};
inline constexpr Range<std::uint32_t> kArpMaxPendingPackets{1, 1024};

inline constexpr Range<std::uint8_t> kDefaultTtl{1, 255};
inline constexpr Range<Duration> kReassemblyTimeout{1s, 5min};
// At least one maximum-size datagram must fit (RFC 791: total length is 16 bits).
inline constexpr Range<std::uint64_t> kReassemblyMemory{64 * 1024, 1024 * 1024 * 1024};

inline constexpr Range<std::uint32_t> kTapRxBuffers{1, 4096};
inline constexpr Range<std::uint32_t> kTapTxBuffers{1, 65536};
// Linux's net.core.busy_poll suggests 50 us; past 1 ms a poll only burns CPU.
inline constexpr Range<Duration> kTapBusyPoll{0s, 1ms};

// tcp: RFC 6298 §2.4 asks for a 1 s floor; Linux allows 200 ms and tests want less.
inline constexpr Range<Duration> kTcpRtoMin{1ms, 10s};
inline constexpr Range<Duration> kTcpRtoMax{1s, 10min};
inline constexpr Range<Duration> kTcpRtoInitial{1ms, 1min};
inline constexpr Range<std::uint32_t> kTcpRetries{1, 100};
inline constexpr Range<std::uint32_t> kTcpSynRetries{1, 127};  // Linux caps tcp_syn_retries at 127
// RFC 1122 §4.2.3.2: an ACK must not be delayed by more than 0.5 s.
inline constexpr Range<Duration> kTcpDelayedAck{1ms, 500ms};
inline constexpr Range<Duration> kTcpTimeWait{100ms, 10min};
inline constexpr Range<Duration> kTcpFinTimeout{1s, 10min};
inline constexpr Range<Duration> kTcpKeepaliveIdle{1s, 24h};
inline constexpr Range<Duration> kTcpKeepaliveInterval{1s, 1h};
inline constexpr Range<std::uint32_t> kTcpKeepaliveCount{1, 127};
inline constexpr Range<std::uint64_t> kTcpBuffer{4 * 1024, 1024 * 1024 * 1024};
inline constexpr Range<std::uint32_t> kTcpSynBacklog{1, 65536};
inline constexpr Range<std::uint16_t> kTcpEphemeralPort{1024, 65535};
inline constexpr Range<std::uint32_t> kTcpMaxConnections{1, 10'000'000};

inline constexpr Range<std::uint16_t> kServicePort{1, 65535};

// fault_injection: a percentage with at most kPercentDecimals digits after the point.
inline constexpr std::size_t kPercentDecimals = 3;
inline constexpr Range<Duration> kFaultDelay{0ms, 10s};
inline constexpr Range<std::uint64_t> kFaultRate{0, 100'000'000'000};  // bits/s; 0: unlimited
inline constexpr Range<std::uint64_t> kFaultQueueLimit{1, 1'000'000};

// sockaddr_un::sun_path is 108 bytes including the terminating NUL.
inline constexpr std::size_t kMaxSocketPathLength = 107;

}  // namespace tapstack::config::limits
