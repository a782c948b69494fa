// Per-field parsers shared by the YAML loader and the command line (config/field_parsers.hpp):
// accepted spellings, ranges and the exact messages.
#include "config/field_parsers.hpp"

#include <gtest/gtest.h>

namespace tapstack::config {
namespace {

using namespace std::chrono_literals;

template <typename T>
std::string error_of(const ParseResult<T>& result) {
  return result ? std::string("no error") : result.error();
}

// The parsed value; a parse failure fails the test. (An expected<optional<T>> does not compare
// unambiguously with an optional<T>.)
template <typename T>
T value_of(const ParseResult<T>& result) {
  if (!result) {
    ADD_FAILURE() << result.error();
    return T{};
  }
  return *result;
}

TEST(Quote, EscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(quote("tap0"), "\"tap0\"");
  EXPECT_EQ(quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(quote(std::string_view("a\n\0", 3)), "\"a\\x0a\\x00\"");
}

TEST(ParseInteger, AcceptsDecimalWithinRangeOnly) {
  EXPECT_EQ(parse_integer_in<std::uint8_t>("1", limits::kDefaultTtl), 1);
  EXPECT_EQ(parse_integer_in<std::uint8_t>("255", limits::kDefaultTtl), 255);
  EXPECT_EQ(error_of(parse_integer_in<std::uint8_t>("300", limits::kDefaultTtl)),
            "expected an integer 1..255, got \"300\"");
  for (const char* text : {"0", "", "-1", "+5", "0x10", "5 ", "5.0", "ten"}) {
    EXPECT_FALSE(parse_integer_in<std::uint8_t>(text, limits::kDefaultTtl)) << text;
  }
  EXPECT_FALSE(parse_integer("99999999999999999999", {0, ~std::uint64_t{0}}));
}

TEST(ParseDurationIn, ChecksTheRangeAndNamesTheUnits) {
  EXPECT_EQ(parse_duration_in("1500ms", limits::kArpReachableTime), Duration{1500ms});
  EXPECT_EQ(error_of(parse_duration_in("30", limits::kArpReachableTime)),
            "expected a duration 1s..1h with a unit (us, ms, s, min, h), got \"30\"");
  EXPECT_FALSE(parse_duration_in("999ms", limits::kArpReachableTime));
  EXPECT_FALSE(parse_duration_in("61min", limits::kArpReachableTime));
}

TEST(ParseSizeIn, ChecksTheRangeAndNamesTheUnits) {
  EXPECT_EQ(parse_size_in("65536", limits::kReassemblyMemory), 65536u);
  EXPECT_EQ(parse_size_in("1GiB", limits::kReassemblyMemory), std::uint64_t{1} << 30);
  EXPECT_EQ(error_of(parse_size_in("4MB", limits::kReassemblyMemory)),
            "expected a size 64KiB..1GiB in bytes, optionally with a unit (B, KiB, MiB, GiB), "
            "got \"4MB\"");
  EXPECT_FALSE(parse_size_in("65535", limits::kReassemblyMemory));
}

TEST(ParseTapName, FollowsTheKernelsDeviceNameRules) {
  EXPECT_EQ(parse_tap_name("tap0"), "tap0");
  EXPECT_EQ(parse_tap_name("a23456789012345"), "a23456789012345");
  EXPECT_EQ(error_of(parse_tap_name("a234567890123456")),
            "expected a device name of 1..15 characters without \"/\", \":\" or spaces, got "
            "\"a234567890123456\"");
  for (const char* text : {"", ".", "..", "tap/0", "tap:0", "tap 0", "tap\t0"}) {
    EXPECT_FALSE(parse_tap_name(text)) << text;
  }
}

TEST(ParseMacSetting, AcceptsAutoAndUnicastAddresses) {
  EXPECT_EQ(value_of(parse_mac_setting("auto")), std::nullopt);
  EXPECT_EQ(value_of(parse_mac_setting("02:00:00:00:00:02")), MacAddr({0x02, 0, 0, 0, 0, 0x02}));
  EXPECT_EQ(error_of(parse_mac_setting("01:00:5e:00:00:01")),
            "expected auto or a unicast MAC address such as 02:00:00:00:00:02, got "
            "\"01:00:5e:00:00:01\" (a multicast address)");
  EXPECT_EQ(error_of(parse_mac_setting("00:00:00:00:00:00")),
            "expected auto or a unicast MAC address such as 02:00:00:00:00:02, got "
            "\"00:00:00:00:00:00\" (all zeros)");
  EXPECT_FALSE(parse_mac_setting("02:00:00:00:00"));
  EXPECT_FALSE(parse_mac_setting("Auto"));
}

TEST(ParseMtu, AcceptsRfc791MinimumUpToTheTapMaximum) {
  EXPECT_EQ(parse_mtu("68"), 68);
  EXPECT_EQ(parse_mtu("65521"), 65521);
  EXPECT_EQ(error_of(parse_mtu("67")), "expected an integer 68..65521, got \"67\"");
  EXPECT_EQ(error_of(parse_mtu("70000")), "expected an integer 68..65521, got \"70000\"");
}

TEST(ParseInterfaceAddress, RequiresAPrefixAndAUsableHostAddress) {
  EXPECT_EQ(parse_interface_address("10.0.0.2/24"), Ipv4Cidr(Ipv4Addr(10, 0, 0, 2), 24));
  EXPECT_EQ(parse_interface_address("10.0.0.0/31"), Ipv4Cidr(Ipv4Addr(10, 0, 0, 0), 31));
  EXPECT_EQ(parse_interface_address("10.0.0.9/32"), Ipv4Cidr(Ipv4Addr(10, 0, 0, 9), 32));
  const std::string expectation =
      "expected a unicast IPv4 address with prefix length such as 10.0.0.2/24, got ";
  EXPECT_EQ(error_of(parse_interface_address("10.0.0.2")),
            expectation + "\"10.0.0.2\" (no prefix length)");
  EXPECT_EQ(error_of(parse_interface_address("10.0.0.2/33")), expectation + "\"10.0.0.2/33\"");
  EXPECT_EQ(error_of(parse_interface_address("10.0.0.2/0")),
            expectation + "\"10.0.0.2/0\" (prefix length 0)");
  EXPECT_EQ(error_of(parse_interface_address("10.0.0.0/24")),
            expectation + "\"10.0.0.0/24\" (the network address of its subnet)");
  EXPECT_EQ(error_of(parse_interface_address("10.0.0.255/24")),
            expectation + "\"10.0.0.255/24\" (the broadcast address of its subnet)");
  EXPECT_EQ(error_of(parse_interface_address("224.0.0.1/4")),
            expectation + "\"224.0.0.1/4\" (a multicast address)");
  EXPECT_EQ(error_of(parse_interface_address("127.0.0.2/8")),
            expectation + "\"127.0.0.2/8\" (a loopback address)");
  EXPECT_EQ(error_of(parse_interface_address("0.0.0.0/8")),
            expectation + "\"0.0.0.0/8\" (the unspecified address)");
  EXPECT_EQ(error_of(parse_interface_address("240.0.0.1/8")),
            expectation + "\"240.0.0.1/8\" (a reserved address)");
  EXPECT_EQ(error_of(parse_interface_address("255.255.255.255/32")),
            expectation + "\"255.255.255.255/32\" (the limited broadcast address)");
}

TEST(ParseHostAddress, AcceptsNoneOrAHostAddress) {
  EXPECT_EQ(value_of(parse_host_address("none")), std::nullopt);
  EXPECT_EQ(value_of(parse_host_address("10.0.0.1/24")), Ipv4Cidr(Ipv4Addr(10, 0, 0, 1), 24));
  EXPECT_EQ(error_of(parse_host_address("10.0.0.1")),
            "expected none or a unicast IPv4 address with prefix length such as 10.0.0.1/24, got "
            "\"10.0.0.1\" (no prefix length)");
}

TEST(ParseGateway, AcceptsNoneOrAUnicastAddressWithoutPrefix) {
  EXPECT_EQ(value_of(parse_gateway("none")), std::nullopt);
  EXPECT_EQ(value_of(parse_gateway("10.0.0.1")), Ipv4Addr(10, 0, 0, 1));
  EXPECT_EQ(error_of(parse_gateway("10.0.0.1/24")),
            "expected none or a unicast IPv4 address such as 10.0.0.1, got \"10.0.0.1/24\"");
  EXPECT_EQ(error_of(parse_gateway("224.0.0.1")),
            "expected none or a unicast IPv4 address such as 10.0.0.1, got \"224.0.0.1\" (a "
            "multicast address)");
}

TEST(ParseSocketPath, RequiresAnAbsolutePathThatFitsSockaddrUn) {
  EXPECT_EQ(parse_socket_path("/run/t.sock"), "/run/t.sock");
  const std::string longest = "/" + std::string(106, 'a');
  EXPECT_EQ(parse_socket_path(longest), longest);
  EXPECT_EQ(error_of(parse_socket_path(longest + "a")),
            "expected an absolute path of at most 107 bytes, got \"" + longest + "a\"");
  EXPECT_FALSE(parse_socket_path("run/t.sock"));
  EXPECT_FALSE(parse_socket_path(""));
}

TEST(ParseLogLevel, AcceptsTheFiveLevelsAndRoundTrips) {
  for (const auto level :
       {LogLevel::trace, LogLevel::debug, LogLevel::info, LogLevel::warn, LogLevel::error}) {
    EXPECT_EQ(parse_log_level(to_string(level)), level);
  }
  EXPECT_EQ(error_of(parse_log_level("verbose")),
            "expected one of trace, debug, info, warn, error, got \"verbose\"");
  EXPECT_FALSE(parse_log_level("INFO"));
}

}  // namespace
}  // namespace tapstack::config
