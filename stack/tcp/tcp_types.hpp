// Vocabulary shared by the TCP modules: states (RFC 9293 §3.3.2), settings, per-socket options
// and the narrow error enum that the IPC boundary maps to errno.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "stack/base/time.hpp"
#include "stack/socket/socket_types.hpp"
#include "stack/tcp/congestion/congestion_control.hpp"
#include "stack/tcp/rtt_estimator.hpp"

namespace tapstack {

enum class TcpState : std::uint8_t {
  closed,
  listen,
  syn_sent,
  syn_received,
  established,
  fin_wait_1,
  fin_wait_2,
  close_wait,
  closing,
  last_ack,
  time_wait,
};

std::string_view to_string(TcpState state);

// Stack-wide TCP defaults (config `tcp:`). Values follow Linux's defaults unless noted.
struct TcpSettings {
  RtoSettings rto;
  std::uint32_t max_retransmissions = 15;  // tcp_retries2: then ETIMEDOUT
  std::uint32_t syn_retries = 6;           // tcp_syn_retries
  std::uint32_t synack_retries = 5;        // tcp_synack_retries
  Duration delayed_ack = std::chrono::milliseconds(40);
  Duration time_wait = std::chrono::seconds(60);
  Duration fin_timeout = std::chrono::seconds(60);  // tcp_fin_timeout: orphaned FIN-WAIT-2
  Duration keepalive_idle = std::chrono::hours(2);
  Duration keepalive_interval = std::chrono::seconds(75);
  std::uint32_t keepalive_count = 9;
  std::size_t send_buffer = 256 * 1024;
  std::size_t receive_buffer = 128 * 1024;
  std::size_t receive_buffer_max = 6 * 1024 * 1024;  // autotuning limit (tcp_rmem[2])
  std::size_t send_buffer_max = 4 * 1024 * 1024;
  CongestionAlgorithm congestion = CongestionAlgorithm::cubic;
  bool timestamps = true;
  bool sack = true;
  bool window_scaling = true;
  std::uint32_t syn_backlog = 256;  // half-open connections per listener before SYN cookies
  bool syn_cookies = true;
  std::uint16_t ephemeral_first = 32768;
  std::uint16_t ephemeral_last = 60999;
  std::uint32_t max_connections = 100000;
};

// Per-socket options (setsockopt). Zero durations/sizes mean "the stack default".
struct TcpSocketOptions {
  bool no_delay = false;  // TCP_NODELAY: no Nagle
  bool cork = false;      // TCP_CORK: only full segments until uncorked
  bool keepalive = false;
  Duration keepalive_idle{};
  Duration keepalive_interval{};
  std::uint32_t keepalive_count = 0;
  Duration user_timeout{};  // TCP_USER_TIMEOUT (RFC 5482)
  std::size_t send_buffer = 0;
  std::size_t receive_buffer = 0;  // set explicitly: no autotuning (as Linux SO_RCVBUF)
  CongestionAlgorithm congestion = CongestionAlgorithm::cubic;
  bool congestion_set = false;
};

}  // namespace tapstack
