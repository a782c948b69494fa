#include "config/field_parsers.hpp"

#include <array>
#include <charconv>
#include <cstdio>
#include <utility>

#include "config/units.hpp"

namespace tapstack::config {
namespace {

constexpr std::array<std::pair<std::string_view, LogLevel>, 5> kLogLevels{{
    {"trace", LogLevel::trace},
    {"debug", LogLevel::debug},
    {"info", LogLevel::info},
    {"warn", LogLevel::warn},
    {"error", LogLevel::error},
}};

// "expected EXPECTATION, got "TEXT"" plus " (REASON)" when the text parsed but is unusable.
std::string rejection(std::string_view expectation, std::string_view text,
                      std::string_view reason = {}) {
  std::string message = "expected " + std::string(expectation) + ", got " + quote(text);
  if (!reason.empty()) message += " (" + std::string(reason) + ")";
  return message;
}

// Why `addr` cannot be a host's own address or a next hop; empty when it can.
std::string_view unusable_reason(Ipv4Addr addr) {
  if (addr.is_unspecified()) return "the unspecified address";
  if (addr.is_broadcast()) return "the limited broadcast address";
  if (addr.is_multicast()) return "a multicast address";
  if (addr.is_loopback()) return "a loopback address";
  if (addr.is_reserved()) return "a reserved address";  // RFC 1122 §3.2.1.3: class E
  return {};
}

// Why `cidr` cannot be an interface address; empty when it can.
std::string_view unusable_reason(Ipv4Cidr cidr) {
  if (cidr.prefix_len() == 0) return "prefix length 0";
  if (const auto reason = unusable_reason(cidr.address()); !reason.empty()) return reason;
  // RFC 1122 §3.2.1.3: all-zeros and all-ones host parts are not host addresses; /31 (RFC 3021)
  // and /32 have no such reserved host parts.
  if (cidr.prefix_len() <= 30) {
    if (cidr.address() == cidr.network()) return "the network address of its subnet";
    if (cidr.address() == cidr.broadcast()) return "the broadcast address of its subnet";
  }
  return {};
}

// An address with an explicit prefix that a host may use as its own; `expectation` names the
// accepted forms in the message.
ParseResult<Ipv4Cidr> parse_host_cidr(std::string_view text, std::string_view expectation) {
  const auto cidr = Ipv4Cidr::parse(text);
  if (!cidr) return unexpected(rejection(expectation, text));
  if (text.find('/') == std::string_view::npos) {
    return unexpected(rejection(expectation, text, "no prefix length"));
  }
  if (const auto reason = unusable_reason(*cidr); !reason.empty()) {
    return unexpected(rejection(expectation, text, reason));
  }
  return *cidr;
}

}  // namespace

std::string quote(std::string_view text) {
  std::string quoted = "\"";
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      quoted += '\\';
      quoted += c;
    } else if (byte < 0x20 || byte == 0x7f) {
      char escape[5];
      std::snprintf(escape, sizeof escape, "\\x%02x", byte);
      quoted += escape;
    } else {
      quoted += c;
    }
  }
  return quoted + '"';
}

ParseResult<std::uint64_t> parse_integer(std::string_view text,
                                         limits::Range<std::uint64_t> range) {
  std::uint64_t value = 0;
  const char* const end = text.data() + text.size();
  const auto [rest, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc{} || rest != end || !range.contains(value)) {
    return unexpected(rejection(
        "an integer " + std::to_string(range.min) + ".." + std::to_string(range.max), text));
  }
  return value;
}

ParseResult<Duration> parse_duration_in(std::string_view text, limits::Range<Duration> range) {
  const auto value = parse_duration(text);
  if (!value || !range.contains(*value)) {
    return unexpected(rejection("a duration " + format_duration(range.min) + ".." +
                                    format_duration(range.max) + " with a unit (us, ms, s, min, h)",
                                text));
  }
  return *value;
}

ParseResult<std::uint64_t> parse_size_in(std::string_view text,
                                         limits::Range<std::uint64_t> range) {
  const auto value = parse_size(text);
  if (!value || !range.contains(*value)) {
    return unexpected(rejection("a size " + format_size(range.min) + ".." + format_size(range.max) +
                                    " in bytes, optionally with a unit (B, KiB, MiB, GiB)",
                                text));
  }
  return *value;
}

ParseResult<std::string> parse_tap_name(std::string_view text) {
  // Mirrors the kernel's dev_valid_name().
  const bool valid = !text.empty() && text.size() <= limits::kMaxTapNameLength && text != "." &&
                     text != ".." && text.find_first_of("/: \t\n\r\v\f") == std::string_view::npos;
  if (!valid) {
    return unexpected(rejection("a device name of 1.." + std::to_string(limits::kMaxTapNameLength) +
                                    " characters without \"/\", \":\" or spaces",
                                text));
  }
  return std::string(text);
}

ParseResult<std::optional<MacAddr>> parse_mac_setting(std::string_view text) {
  constexpr std::string_view kExpectation =
      "auto or a unicast MAC address such as 02:00:00:00:00:02";
  if (text == "auto") return std::optional<MacAddr>{};
  const auto mac = MacAddr::parse(text);
  if (!mac) return unexpected(rejection(kExpectation, text));
  if (mac->is_multicast()) return unexpected(rejection(kExpectation, text, "a multicast address"));
  if (mac->is_zero()) return unexpected(rejection(kExpectation, text, "all zeros"));
  return std::optional<MacAddr>{*mac};
}

ParseResult<std::uint16_t> parse_mtu(std::string_view text) {
  return parse_integer_in(text, limits::kMtu);
}

ParseResult<Ipv4Cidr> parse_interface_address(std::string_view text) {
  return parse_host_cidr(text, "a unicast IPv4 address with prefix length such as 10.0.0.2/24");
}

ParseResult<std::optional<Ipv4Cidr>> parse_host_address(std::string_view text) {
  if (text == "none") return std::optional<Ipv4Cidr>{};
  const auto cidr = parse_host_cidr(
      text, "none or a unicast IPv4 address with prefix length such as 10.0.0.1/24");
  if (!cidr) return unexpected(cidr.error());
  return std::optional<Ipv4Cidr>{*cidr};
}

ParseResult<Ipv4Cidr> parse_route_prefix(std::string_view text) {
  constexpr std::string_view kExpectation = "a network prefix such as 10.2.0.0/16";
  const auto cidr = Ipv4Cidr::parse(text);
  if (!cidr || text.find('/') == std::string_view::npos) {
    return unexpected(rejection(kExpectation, text));
  }
  if (cidr->prefix_len() == 0) {
    return unexpected(rejection(kExpectation, text, "the default route is set by \"gateway\""));
  }
  if (cidr->network() != cidr->address()) {
    return unexpected(rejection(kExpectation, text,
                                "host bits set (the network is " + cidr->network().to_string() +
                                    "/" + std::to_string(cidr->prefix_len()) + ")"));
  }
  return *cidr;
}

ParseResult<Ipv4Addr> parse_next_hop(std::string_view text) {
  if (text == "none") return unexpected(rejection("a unicast IPv4 address", text));
  const auto gateway = parse_gateway(text);
  if (!gateway) return unexpected(gateway.error());
  return **gateway;
}

ParseResult<std::optional<Ipv4Addr>> parse_gateway(std::string_view text) {
  constexpr std::string_view kExpectation = "none or a unicast IPv4 address such as 10.0.0.1";
  if (text == "none") return std::optional<Ipv4Addr>{};
  const auto addr = Ipv4Addr::parse(text);
  if (!addr) return unexpected(rejection(kExpectation, text));
  if (const auto reason = unusable_reason(*addr); !reason.empty()) {
    return unexpected(rejection(kExpectation, text, reason));
  }
  return std::optional<Ipv4Addr>{*addr};
}

ParseResult<std::string> parse_socket_path(std::string_view text) {
  if (text.empty() || text.front() != '/' || text.size() > limits::kMaxSocketPathLength ||
      text.find('\0') != std::string_view::npos) {
    return unexpected(rejection(
        "an absolute path of at most " + std::to_string(limits::kMaxSocketPathLength) + " bytes",
        text));
  }
  return std::string(text);
}

ParseResult<MetricsConfig> parse_metrics_listen(std::string_view text) {
  const std::string expectation = "\"\" (off), an absolute path of at most " +
                                  std::to_string(limits::kMaxSocketPathLength) +
                                  " bytes or HOST:PORT such as 127.0.0.1:9465";
  MetricsConfig metrics;
  if (text.empty()) return metrics;
  if (text.front() == '/') {
    auto path = parse_socket_path(text);
    if (!path) return unexpected(rejection(expectation, text));
    metrics.unix_path = std::move(*path);
    return metrics;
  }
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return unexpected(rejection(expectation, text));
  const auto host = Ipv4Addr::parse(text.substr(0, colon));
  const auto port = parse_port(text.substr(colon + 1));
  if (!host || !port) return unexpected(rejection(expectation, text));
  if (host->is_broadcast() || host->is_multicast()) {
    return unexpected(rejection(expectation, text, "not a unicast address"));
  }
  metrics.tcp = SocketAddress{*host, *port};
  return metrics;
}

ParseResult<bool> parse_bool(std::string_view text) {
  if (text == "true") return true;
  if (text == "false") return false;
  return unexpected(rejection("true or false", text));
}

ParseResult<std::uint16_t> parse_port(std::string_view text) {
  return parse_integer_in(text, limits::kServicePort);
}

ParseResult<std::pair<std::uint16_t, std::uint16_t>> parse_port_range(std::string_view text) {
  constexpr auto kRange = limits::kTcpEphemeralPort;
  const std::string expectation = "a port range FIRST-LAST within " + std::to_string(kRange.min) +
                                  ".." + std::to_string(kRange.max);
  const auto dash = text.find('-');
  if (dash == std::string_view::npos) return unexpected(rejection(expectation, text));
  const auto first = parse_integer_in(text.substr(0, dash), kRange);
  const auto last = parse_integer_in(text.substr(dash + 1), kRange);
  if (!first || !last) return unexpected(rejection(expectation, text));
  if (*first > *last) return unexpected(rejection(expectation, text, "FIRST is above LAST"));
  return std::pair{*first, *last};
}

ParseResult<CongestionAlgorithm> parse_congestion(std::string_view text) {
  if (text == "cubic") return CongestionAlgorithm::cubic;
  if (text == "newreno") return CongestionAlgorithm::newreno;
  return unexpected(rejection("cubic or newreno", text));
}

ParseResult<double> parse_percentage(std::string_view text) {
  const std::string expectation =
      "a percentage 0..100 with at most " + std::to_string(limits::kPercentDecimals) + " decimals";
  const auto point = text.find('.');
  const std::string_view whole = text.substr(0, point);
  const std::string_view fraction =
      point == std::string_view::npos ? std::string_view{} : text.substr(point + 1);
  const bool fraction_ok = point == std::string_view::npos ||
                           (!fraction.empty() && fraction.size() <= limits::kPercentDecimals &&
                            fraction.find_first_not_of("0123456789") == std::string_view::npos);
  const auto integer = parse_integer(whole, {0, 100});
  if (!integer || !fraction_ok) return unexpected(rejection(expectation, text));
  // Exact arithmetic in thousandths of a percent, so "100.000" is accepted and "100.001" not.
  std::uint64_t thousandths = *integer * 1000;
  std::uint64_t scale = 100;
  for (const char digit : fraction) {
    thousandths += static_cast<std::uint64_t>(digit - '0') * scale;
    scale /= 10;
  }
  if (thousandths > 100'000) return unexpected(rejection(expectation, text));
  return static_cast<double>(thousandths) / 100'000.0;
}

ParseResult<std::uint64_t> parse_bit_rate_in(std::string_view text,
                                             limits::Range<std::uint64_t> range) {
  constexpr std::array<std::pair<std::string_view, std::uint64_t>, 4> kUnits{
      {{"Gbit", 1'000'000'000}, {"Mbit", 1'000'000}, {"kbit", 1'000}, {"bit", 1}}};
  const std::string expectation = "a bit rate 0.." + std::to_string(range.max / 1'000'000'000) +
                                  "Gbit as an integer with a unit bit, kbit, Mbit or Gbit";
  std::uint64_t value = 0;
  const char* const end = text.data() + text.size();
  const auto [rest, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc{} || rest == text.data()) return unexpected(rejection(expectation, text));
  const std::string_view suffix(rest, static_cast<std::size_t>(end - rest));
  std::optional<std::uint64_t> multiplier;
  if (suffix.empty() && value == 0) multiplier = 1;  // "0" needs no unit
  for (const auto& [name, factor] : kUnits) {
    if (suffix == name) multiplier = factor;
  }
  if (!multiplier || value > range.max / *multiplier || !range.contains(value * *multiplier)) {
    return unexpected(rejection(expectation, text));
  }
  return value * *multiplier;
}

ParseResult<LogLevel> parse_log_level(std::string_view text) {
  for (const auto& [name, level] : kLogLevels) {
    if (text == name) return level;
  }
  return unexpected(rejection("one of trace, debug, info, warn, error", text));
}

std::string_view to_string(LogLevel level) {
  for (const auto& [name, candidate] : kLogLevels) {
    if (candidate == level) return name;
  }
  return "unknown";
}

}  // namespace tapstack::config
