#include "stack/base/address.hpp"

#include <charconv>
#include <cstdio>

namespace tapstack {
namespace {

std::optional<unsigned> parse_decimal(std::string_view text, unsigned max) {
  if (text.empty() || text.size() > 3) return std::nullopt;
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value > max) return std::nullopt;
  return value;
}

std::optional<unsigned> parse_hex_octet(std::string_view text) {
  if (text.size() != 2) return std::nullopt;
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + 2, value, 16);
  if (ec != std::errc{} || end != text.data() + 2) return std::nullopt;
  return value;
}

}  // namespace

std::optional<MacAddr> MacAddr::parse(std::string_view text) {
  std::array<std::uint8_t, 6> octets{};
  for (std::size_t i = 0; i < 6; ++i) {
    const auto octet = parse_hex_octet(text.substr(0, 2));
    if (!octet) return std::nullopt;
    octets[i] = static_cast<std::uint8_t>(*octet);
    text.remove_prefix(2);
    if (i < 5) {
      if (text.empty() || text.front() != ':') return std::nullopt;
      text.remove_prefix(1);
    }
  }
  if (!text.empty()) return std::nullopt;
  return MacAddr{octets};
}

std::string MacAddr::to_string() const {
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", octets_[0], octets_[1],
                octets_[2], octets_[3], octets_[4], octets_[5]);
  return buf;
}

std::optional<Ipv4Addr> Ipv4Addr::parse(std::string_view text) {
  std::uint32_t value = 0;
  for (int i = 0; i < 4; ++i) {
    const auto dot = text.find('.');
    if ((i < 3) == (dot == std::string_view::npos)) return std::nullopt;
    const auto part = parse_decimal(text.substr(0, dot), 255);
    if (!part) return std::nullopt;
    value = (value << 8) | *part;
    text = dot == std::string_view::npos ? std::string_view{} : text.substr(dot + 1);
  }
  return Ipv4Addr{value};
}

std::string Ipv4Addr::to_string() const {
  return std::to_string(value_ >> 24) + '.' + std::to_string((value_ >> 16) & 0xff) + '.' +
         std::to_string((value_ >> 8) & 0xff) + '.' + std::to_string(value_ & 0xff);
}

std::optional<Ipv4Cidr> Ipv4Cidr::parse(std::string_view text) {
  const auto slash = text.find('/');
  const auto addr = Ipv4Addr::parse(text.substr(0, slash));
  if (!addr) return std::nullopt;
  if (slash == std::string_view::npos) return Ipv4Cidr{*addr, 32};
  const auto len = parse_decimal(text.substr(slash + 1), 32);
  if (!len) return std::nullopt;
  return Ipv4Cidr{*addr, static_cast<std::uint8_t>(*len)};
}

std::string Ipv4Cidr::to_string() const {
  return addr_.to_string() + '/' + std::to_string(prefix_len_);
}

}  // namespace tapstack
