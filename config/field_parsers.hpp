// Text -> typed value for every configuration field, shared by the YAML loader and the command
// line so both accept the same spellings and reject with the same words. Each parser checks the
// field's own range; rules that involve several fields live in config/validate.hpp.
//
// An error is the message without its location, e.g. `expected an integer 1..255, got "300"`;
// the caller prefixes "FILE:LINE:COL: ipv4.default_ttl: " or "--mtu: ".
#pragma once

#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "config/config.hpp"
#include "config/limits.hpp"
#include "stack/base/address.hpp"
#include "stack/base/result.hpp"
#include "stack/base/time.hpp"

namespace tapstack::config {

template <typename T>
using ParseResult = Result<T, std::string>;

// `text` in double quotes, with quotes, backslashes and control characters escaped.
std::string quote(std::string_view text);

// A decimal integer without sign or spaces, within `range`.
ParseResult<std::uint64_t> parse_integer(std::string_view text, limits::Range<std::uint64_t> range);

template <std::unsigned_integral T>
ParseResult<T> parse_integer_in(std::string_view text, limits::Range<T> range) {
  const auto value = parse_integer(text, {range.min, range.max});
  if (!value) return unexpected(value.error());
  return static_cast<T>(*value);
}

// A duration with a unit (config/units.hpp), within `range`.
ParseResult<Duration> parse_duration_in(std::string_view text, limits::Range<Duration> range);

// A byte count, optionally with a unit (config/units.hpp), within `range`.
ParseResult<std::uint64_t> parse_size_in(std::string_view text, limits::Range<std::uint64_t> range);

// A Linux network device name: 1..15 bytes, not "." or "..", no '/', ':' or whitespace.
ParseResult<std::string> parse_tap_name(std::string_view text);

// "auto" (nullopt: the daemon picks one) or a unicast, non-zero MAC address.
ParseResult<std::optional<MacAddr>> parse_mac_setting(std::string_view text);

ParseResult<std::uint16_t> parse_mtu(std::string_view text);

// The stack's own address with its prefix, e.g. 10.0.0.2/24: a usable unicast host address.
ParseResult<Ipv4Cidr> parse_interface_address(std::string_view text);

// "none" or the kernel side's address with its prefix, same rules as parse_interface_address.
ParseResult<std::optional<Ipv4Cidr>> parse_host_address(std::string_view text);

// A static route's destination: a network prefix such as 10.2.0.0/16 (host bits zero, length
// 1..32; the default route is `gateway`).
ParseResult<Ipv4Cidr> parse_route_prefix(std::string_view text);
// A static route's next hop: a unicast IPv4 address.
ParseResult<Ipv4Addr> parse_next_hop(std::string_view text);

// "none" or the default route's next hop: a unicast address without prefix.
ParseResult<std::optional<Ipv4Addr>> parse_gateway(std::string_view text);

// An absolute path that fits in sockaddr_un.
ParseResult<std::string> parse_socket_path(std::string_view text);

// `metrics.listen`: "" (off), an absolute path that fits in sockaddr_un (a Unix socket), or
// HOST:PORT with HOST a numeric IPv4 address (0.0.0.0: every host address) and PORT 1..65535.
ParseResult<MetricsConfig> parse_metrics_listen(std::string_view text);

// true or false (YAML's other spellings are not accepted: one spelling per value).
ParseResult<bool> parse_bool(std::string_view text);

// A TCP port 1..65535.
ParseResult<std::uint16_t> parse_port(std::string_view text);

// "FIRST-LAST", both within limits::kTcpEphemeralPort and FIRST <= LAST (Linux's
// ip_local_port_range).
ParseResult<std::pair<std::uint16_t, std::uint16_t>> parse_port_range(std::string_view text);

// cubic or newreno.
ParseResult<CongestionAlgorithm> parse_congestion(std::string_view text);

// A percentage 0..100 with at most three decimals ("0", "2.5", "100"), returned as a fraction
// 0..1.
ParseResult<double> parse_percentage(std::string_view text);

// A bit rate within `range`: "0" (unlimited), bits per second as an integer, or an integer with
// a unit bit, kbit, Mbit or Gbit (powers of 1000, as tc writes them): "100Mbit".
ParseResult<std::uint64_t> parse_bit_rate_in(std::string_view text,
                                             limits::Range<std::uint64_t> range);

ParseResult<LogLevel> parse_log_level(std::string_view text);
std::string_view to_string(LogLevel level);

}  // namespace tapstack::config
