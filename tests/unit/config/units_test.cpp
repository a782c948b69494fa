// Durations and sizes with units (config/units.hpp).
#include "config/units.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace tapstack::config {
namespace {

using namespace std::chrono_literals;

TEST(ParseDuration, AcceptsEveryUnit) {
  EXPECT_EQ(parse_duration("1500ms"), Duration{1500ms});
  EXPECT_EQ(parse_duration("30s"), Duration{30s});
  EXPECT_EQ(parse_duration("2min"), Duration{2min});
  EXPECT_EQ(parse_duration("1h"), Duration{1h});
  EXPECT_EQ(parse_duration("0s"), Duration{0s});
  EXPECT_EQ(parse_duration("50us"), Duration{50us});
}

TEST(ParseDuration, RejectsMissingOrUnknownUnitsAndOtherSpellings) {
  for (const char* text : {"30", "s", "", "30 s", " 30s", "30s ", "-1s", "+1s", "1.5s", "30S",
                           "30sec", "30m", "30µs", "30ns", "1e3ms", "0x10s"}) {
    EXPECT_EQ(parse_duration(text), std::nullopt) << text;
  }
}

TEST(ParseDuration, RejectsValuesThatOverflowNanoseconds) {
  EXPECT_EQ(parse_duration("9223372036s"), Duration{9223372036s});
  EXPECT_EQ(parse_duration("9223372037s"), std::nullopt);
  EXPECT_EQ(parse_duration("99999999999999999999ms"), std::nullopt);
}

TEST(ParseSize, AcceptsPlainBytesAndBinaryUnits) {
  EXPECT_EQ(parse_size("65536"), 65536u);
  EXPECT_EQ(parse_size("100B"), 100u);
  EXPECT_EQ(parse_size("64KiB"), 64u * 1024);
  EXPECT_EQ(parse_size("4MiB"), 4u << 20);
  EXPECT_EQ(parse_size("2GiB"), std::uint64_t{2} << 30);
}

TEST(ParseSize, RejectsDecimalUnitsAndOtherSpellings) {
  for (const char* text : {"", "MiB", "4MB", "4mib", "4 MiB", "4K", "-1", "1.5MiB", "4MiBs"}) {
    EXPECT_EQ(parse_size(text), std::nullopt) << text;
  }
}

TEST(ParseSize, RejectsValuesThatOverflow64Bits) {
  EXPECT_EQ(parse_size("18446744073709551615"), std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(parse_size("18446744073709551616"), std::nullopt);
  EXPECT_EQ(parse_size("17179869184GiB"), std::nullopt);
}

TEST(FormatDuration, UsesTheLargestExactUnit) {
  EXPECT_EQ(format_duration(30s), "30s");
  EXPECT_EQ(format_duration(1500ms), "1500ms");
  EXPECT_EQ(format_duration(120s), "2min");
  EXPECT_EQ(format_duration(3600s), "1h");
  EXPECT_EQ(format_duration(0s), "0s");
  EXPECT_EQ(format_duration(50us), "50us");
  EXPECT_EQ(format_duration(1500ns), "1500ns");
}

TEST(FormatSize, UsesTheLargestExactUnit) {
  EXPECT_EQ(format_size(4u << 20), "4MiB");
  EXPECT_EQ(format_size(65536), "64KiB");
  EXPECT_EQ(format_size(1536), "1536B");
  EXPECT_EQ(format_size(std::uint64_t{1} << 30), "1GiB");
  EXPECT_EQ(format_size(0), "0B");
}

TEST(Units, FormatThenParseRoundTrips) {
  for (const Duration d : {Duration{1ms}, Duration{999ms}, Duration{61s}, Duration{90min}}) {
    EXPECT_EQ(parse_duration(format_duration(d)), d);
  }
  for (const std::uint64_t size : {1ull, 1023ull, 1024ull, 3ull << 20, 5ull << 30}) {
    EXPECT_EQ(parse_size(format_size(size)), size);
  }
}

}  // namespace
}  // namespace tapstack::config
