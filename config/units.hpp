// Durations and byte sizes written with units in configuration text: "30s", "1500ms", "4MiB".
// Integers only (no fractions, signs or spaces) so that every value has exactly one spelling.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "stack/base/time.hpp"

namespace tapstack::config {

// "<digits><unit>" with unit ms, s, min or h. nullopt on anything else or on overflow.
std::optional<Duration> parse_duration(std::string_view text);

// "<digits>" (bytes) or "<digits><unit>" with unit B, KiB, MiB or GiB (powers of 1024).
// nullopt on anything else or on overflow of 64 bits.
std::optional<std::uint64_t> parse_size(std::string_view text);

// The largest unit that represents `d` exactly: 30s, 1500ms, 2min, 1h. Sub-millisecond values
// (which parse_duration cannot produce) are written in ns.
std::string format_duration(Duration d);

// The largest unit that represents `bytes` exactly: 4MiB, 1536B.
std::string format_size(std::uint64_t bytes);

}  // namespace tapstack::config
