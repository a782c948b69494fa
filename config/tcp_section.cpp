// The `tcp:` section: every field of the stack's TcpSettings (RFC 6298 timers, RFC 1122
// delayed ACK and keep-alive, RFC 7323/2018 options, RFC 6056 ephemeral ports, RFC 4987 SYN
// cookies). Ranges live in config/limits.hpp, the documentation in config/defaults.yaml.
#include <tuple>

#include "config/field_parsers.hpp"
#include "config/section_readers.hpp"

namespace tapstack::config {
namespace {

// The keys of one kind, each with the member it sets and its range.
struct DurationKey {
  std::string_view key;
  Duration TcpConfig::*member;
  limits::Range<Duration> range;
};
struct CountKey {
  std::string_view key;
  std::uint32_t TcpConfig::*member;
  limits::Range<std::uint32_t> range;
};
struct SizeKey {
  std::string_view key;
  std::uint64_t TcpConfig::*member;
};
struct FlagKey {
  std::string_view key;
  bool TcpConfig::*member;
};

constexpr DurationKey kDurationKeys[] = {
    {"rto_min", &TcpConfig::rto_min, limits::kTcpRtoMin},
    {"rto_max", &TcpConfig::rto_max, limits::kTcpRtoMax},
    {"rto_initial", &TcpConfig::rto_initial, limits::kTcpRtoInitial},
    {"delayed_ack", &TcpConfig::delayed_ack, limits::kTcpDelayedAck},
    {"time_wait", &TcpConfig::time_wait, limits::kTcpTimeWait},
    {"fin_timeout", &TcpConfig::fin_timeout, limits::kTcpFinTimeout},
    {"keepalive_idle", &TcpConfig::keepalive_idle, limits::kTcpKeepaliveIdle},
    {"keepalive_interval", &TcpConfig::keepalive_interval, limits::kTcpKeepaliveInterval},
};
constexpr CountKey kCountKeys[] = {
    {"retries", &TcpConfig::retries, limits::kTcpRetries},
    {"syn_retries", &TcpConfig::syn_retries, limits::kTcpSynRetries},
    {"synack_retries", &TcpConfig::synack_retries, limits::kTcpSynRetries},
    {"keepalive_count", &TcpConfig::keepalive_count, limits::kTcpKeepaliveCount},
    {"syn_backlog", &TcpConfig::syn_backlog, limits::kTcpSynBacklog},
    {"max_connections", &TcpConfig::max_connections, limits::kTcpMaxConnections},
};
constexpr SizeKey kSizeKeys[] = {
    {"send_buffer", &TcpConfig::send_buffer},
    {"send_buffer_max", &TcpConfig::send_buffer_max},
    {"receive_buffer", &TcpConfig::receive_buffer},
    {"receive_buffer_max", &TcpConfig::receive_buffer_max},
};
constexpr FlagKey kFlagKeys[] = {
    {"timestamps", &TcpConfig::timestamps},
    {"sack", &TcpConfig::sack},
    {"window_scaling", &TcpConfig::window_scaling},
    {"syn_cookies", &TcpConfig::syn_cookies},
};

// Sets the member `entry` names if it is one of the tables' keys; false otherwise.
bool read_table_key(const DocumentReader& reader, const Field& entry, TcpConfig& tcp) {
  for (const DurationKey& k : kDurationKeys) {
    if (entry.key != k.key) continue;
    tcp.*k.member = reader.scalar(
        entry, [&](std::string_view text) { return parse_duration_in(text, k.range); });
    return true;
  }
  for (const CountKey& k : kCountKeys) {
    if (entry.key != k.key) continue;
    tcp.*k.member = reader.scalar(
        entry, [&](std::string_view text) { return parse_integer_in(text, k.range); });
    return true;
  }
  for (const SizeKey& k : kSizeKeys) {
    if (entry.key != k.key) continue;
    tcp.*k.member = reader.scalar(
        entry, [](std::string_view text) { return parse_size_in(text, limits::kTcpBuffer); });
    return true;
  }
  for (const FlagKey& k : kFlagKeys) {
    if (entry.key != k.key) continue;
    tcp.*k.member = reader.scalar(entry, parse_bool);
    return true;
  }
  return false;
}

}  // namespace

void read_tcp(DocumentReader& reader, const Field& field, TcpConfig& tcp) {
  const auto entries = reader.entries(field, {"rto_min",
                                              "rto_max",
                                              "rto_initial",
                                              "retries",
                                              "syn_retries",
                                              "synack_retries",
                                              "delayed_ack",
                                              "time_wait",
                                              "fin_timeout",
                                              "keepalive_idle",
                                              "keepalive_interval",
                                              "keepalive_count",
                                              "send_buffer",
                                              "send_buffer_max",
                                              "receive_buffer",
                                              "receive_buffer_max",
                                              "congestion",
                                              "timestamps",
                                              "sack",
                                              "window_scaling",
                                              "syn_backlog",
                                              "syn_cookies",
                                              "ephemeral_ports",
                                              "max_connections"});
  for (const Field& entry : entries) {
    if (read_table_key(reader, entry, tcp)) continue;
    if (entry.key == "congestion") {
      tcp.congestion = reader.scalar(entry, parse_congestion);
    } else if (entry.key == "ephemeral_ports") {
      std::tie(tcp.ephemeral_first, tcp.ephemeral_last) = reader.scalar(entry, parse_port_range);
    }
  }
}

}  // namespace tapstack::config
