#include "config/units.hpp"

#include <array>
#include <charconv>
#include <limits>

namespace tapstack::config {
namespace {

struct Unit {
  std::string_view suffix;
  std::uint64_t multiplier;  // in the base unit: nanoseconds or bytes
};

// Largest unit first, so formatting picks the largest exact one. Parsing compares whole suffixes.
constexpr std::array<Unit, 5> kDurationUnits{{
    {"h", 3'600'000'000'000},
    {"min", 60'000'000'000},
    {"s", 1'000'000'000},
    {"ms", 1'000'000},
    {"us", 1'000},
}};

constexpr std::array<Unit, 4> kSizeUnits{{
    {"GiB", std::uint64_t{1} << 30},
    {"MiB", std::uint64_t{1} << 20},
    {"KiB", std::uint64_t{1} << 10},
    {"B", 1},
}};

// Splits "123abc" into 123 and "abc"; nullopt when there are no leading digits or they overflow.
std::optional<std::pair<std::uint64_t, std::string_view>> split_number(std::string_view text) {
  std::uint64_t value = 0;
  const char* const end = text.data() + text.size();
  const auto [rest, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc{} || rest == text.data()) return std::nullopt;
  return std::pair{value, std::string_view(rest, static_cast<std::size_t>(end - rest))};
}

std::optional<std::uint64_t> scale(std::uint64_t value, std::uint64_t multiplier,
                                   std::uint64_t max) {
  if (value > max / multiplier) return std::nullopt;
  return value * multiplier;
}

}  // namespace

std::optional<Duration> parse_duration(std::string_view text) {
  const auto number = split_number(text);
  if (!number) return std::nullopt;
  const auto [value, suffix] = *number;
  constexpr auto kMaxNanoseconds = std::uint64_t{std::numeric_limits<Duration::rep>::max()};
  for (const Unit& unit : kDurationUnits) {
    if (suffix != unit.suffix) continue;
    const auto nanoseconds = scale(value, unit.multiplier, kMaxNanoseconds);
    if (!nanoseconds) return std::nullopt;
    return Duration{static_cast<Duration::rep>(*nanoseconds)};
  }
  return std::nullopt;
}

std::optional<std::uint64_t> parse_size(std::string_view text) {
  const auto number = split_number(text);
  if (!number) return std::nullopt;
  const auto [value, suffix] = *number;
  if (suffix.empty()) return value;
  for (const Unit& unit : kSizeUnits) {
    if (suffix == unit.suffix) {
      return scale(value, unit.multiplier, std::numeric_limits<std::uint64_t>::max());
    }
  }
  return std::nullopt;
}

std::string format_duration(Duration d) {
  const auto nanoseconds = d.count();
  if (nanoseconds > 0) {
    for (const Unit& unit : kDurationUnits) {
      const auto multiplier = static_cast<Duration::rep>(unit.multiplier);
      if (nanoseconds % multiplier == 0) {
        return std::to_string(nanoseconds / multiplier) + std::string(unit.suffix);
      }
    }
  }
  return nanoseconds == 0 ? "0s" : std::to_string(nanoseconds) + "ns";
}

std::string format_size(std::uint64_t bytes) {
  for (const Unit& unit : kSizeUnits) {
    if (bytes != 0 && bytes % unit.multiplier == 0) {
      return std::to_string(bytes / unit.multiplier) + std::string(unit.suffix);
    }
  }
  return "0B";
}

}  // namespace tapstack::config
