// Strong types for link and network addresses. Values are kept in host order internally and
// converted only by the wire layer (stack/wire/bytes.hpp).
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tapstack {

class MacAddr {
 public:
  constexpr MacAddr() = default;
  constexpr explicit MacAddr(std::array<std::uint8_t, 6> octets) : octets_(octets) {}

  static constexpr MacAddr broadcast() { return MacAddr({0xff, 0xff, 0xff, 0xff, 0xff, 0xff}); }
  // Parses "02:00:00:00:00:01" (case-insensitive); nullopt on anything else.
  static std::optional<MacAddr> parse(std::string_view text);

  constexpr const std::array<std::uint8_t, 6>& octets() const { return octets_; }
  constexpr bool is_broadcast() const { return *this == broadcast(); }
  constexpr bool is_multicast() const { return (octets_[0] & 0x01) != 0; }
  constexpr bool is_zero() const { return *this == MacAddr{}; }
  std::string to_string() const;

  constexpr auto operator<=>(const MacAddr&) const = default;

 private:
  std::array<std::uint8_t, 6> octets_{};
};

class Ipv4Addr {
 public:
  constexpr Ipv4Addr() = default;
  constexpr explicit Ipv4Addr(std::uint32_t host_order) : value_(host_order) {}
  constexpr Ipv4Addr(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d)
      : value_((std::uint32_t{a} << 24) | (std::uint32_t{b} << 16) | (std::uint32_t{c} << 8) | d) {}

  static constexpr Ipv4Addr any() { return Ipv4Addr{}; }
  static constexpr Ipv4Addr broadcast() { return Ipv4Addr{0xffffffffU}; }
  // Parses dotted-quad "10.0.0.2"; nullopt on anything else (no shorthand forms).
  static std::optional<Ipv4Addr> parse(std::string_view text);

  constexpr std::uint32_t value() const { return value_; }
  constexpr bool is_unspecified() const { return value_ == 0; }
  constexpr bool is_broadcast() const { return value_ == 0xffffffffU; }
  constexpr bool is_multicast() const { return (value_ >> 28) == 0xe; }
  constexpr bool is_loopback() const { return (value_ >> 24) == 127; }
  // RFC 1122 §3.2.1.3: class E (240/4) is reserved.
  constexpr bool is_reserved() const { return (value_ >> 28) == 0xf && !is_broadcast(); }
  std::string to_string() const;

  constexpr auto operator<=>(const Ipv4Addr&) const = default;

 private:
  std::uint32_t value_ = 0;
};

// An address with its prefix length, e.g. 10.0.0.2/24: an interface address or a route prefix.
class Ipv4Cidr {
 public:
  constexpr Ipv4Cidr() = default;
  constexpr Ipv4Cidr(Ipv4Addr addr, std::uint8_t prefix_len)
      : addr_(addr), prefix_len_(prefix_len) {}
  // Parses "10.0.0.2/24"; a bare address means /32. nullopt on anything else.
  static std::optional<Ipv4Cidr> parse(std::string_view text);

  constexpr Ipv4Addr address() const { return addr_; }
  constexpr std::uint8_t prefix_len() const { return prefix_len_; }
  constexpr std::uint32_t mask() const {
    return prefix_len_ == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix_len_);
  }
  constexpr Ipv4Addr network() const { return Ipv4Addr{addr_.value() & mask()}; }
  constexpr Ipv4Addr broadcast() const { return Ipv4Addr{addr_.value() | ~mask()}; }
  constexpr bool contains(Ipv4Addr a) const { return (a.value() & mask()) == network().value(); }
  std::string to_string() const;

  constexpr auto operator<=>(const Ipv4Cidr&) const = default;

 private:
  Ipv4Addr addr_;
  std::uint8_t prefix_len_ = 32;
};

}  // namespace tapstack
