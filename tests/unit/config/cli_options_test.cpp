// tapstackd's command line (config/cli_options.hpp): overrides, precedence over the config file,
// --help/--version, and exit code 2 with a message naming the flag for every bad input.
#include "config/cli_options.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "config/loader.hpp"
#include "temp_file.hpp"

namespace tapstack::config {
namespace {

CliOutcome run(std::vector<std::string> args) {
  args.insert(args.begin(), "tapstackd");
  std::vector<const char*> argv;
  for (const auto& arg : args) argv.push_back(arg.c_str());
  return parse_command_line(static_cast<int>(argv.size()), argv.data(), "1.2.3");
}

// The outcome of a command line that must be rejected.
void expect_usage_error(const CliOutcome& outcome, const std::string& output) {
  EXPECT_FALSE(outcome.config);
  EXPECT_EQ(outcome.exit_code, 2);
  EXPECT_TRUE(outcome.to_stderr);
  EXPECT_EQ(outcome.output, output);
}

TEST(CommandLine, NoFlagsGiveTheEmbeddedDefaults) {
  const CliOutcome outcome = run({});
  ASSERT_TRUE(outcome.config) << outcome.output;
  EXPECT_EQ(*outcome.config, default_config());
  EXPECT_EQ(outcome.exit_code, 0);
  EXPECT_EQ(outcome.output, "");
}

TEST(CommandLine, FlagsOverrideTheFirstInterfaceAndGlobals) {
  const CliOutcome outcome = run(
      {"--tap", "tap7", "--mac", "02:00:00:00:00:07", "--mtu", "9000", "--address",
       "192.168.7.2/24", "--address=172.16.7.2/16", "--host-address", "192.168.7.1/24", "--gateway",
       "172.16.0.1", "--ipc-socket", "/tmp/tapstack-test.sock", "--log-level", "trace"});
  ASSERT_TRUE(outcome.config) << outcome.output;
  const Config& config = *outcome.config;
  const InterfaceConfig& first = config.interfaces[0];
  EXPECT_EQ(first.tap_name, "tap7");
  EXPECT_EQ(first.mac, MacAddr({0x02, 0, 0, 0, 0, 0x07}));
  EXPECT_EQ(first.mtu, 9000);
  EXPECT_EQ(first.addresses, (std::vector{Ipv4Cidr(Ipv4Addr(192, 168, 7, 2), 24),
                                          Ipv4Cidr(Ipv4Addr(172, 16, 7, 2), 16)}));
  EXPECT_EQ(first.host_address, Ipv4Cidr(Ipv4Addr(192, 168, 7, 1), 24));
  EXPECT_EQ(config.gateway, Ipv4Addr(172, 16, 0, 1));
  EXPECT_EQ(config.ipc.socket_path, "/tmp/tapstack-test.sock");
  EXPECT_EQ(config.log_level, LogLevel::trace);
}

TEST(CommandLine, NoneClearsGatewayAndHostAddress) {
  const CliOutcome outcome = run({"--gateway", "none", "--host-address", "none"});
  ASSERT_TRUE(outcome.config) << outcome.output;
  EXPECT_EQ(outcome.config->gateway, std::nullopt);
  EXPECT_EQ(outcome.config->interfaces[0].host_address, std::nullopt);
}

TEST(CommandLine, FlagsTakePrecedenceOverTheConfigFile) {
  const TempFile file(
      "interfaces:\n"
      "  - {tap: tap1, mtu: 9000, addresses: [10.0.0.2/24]}\n"
      "  - {tap: tap2, addresses: [10.0.2.2/24]}\n"
      "log: {level: warn}\n");
  const CliOutcome outcome = run({"--config", file.path(), "--mtu", "1400"});
  ASSERT_TRUE(outcome.config) << outcome.output;
  const Config& config = *outcome.config;
  ASSERT_EQ(config.interfaces.size(), 2u);
  EXPECT_EQ(config.interfaces[0].tap_name, "tap1");  // from the file
  EXPECT_EQ(config.interfaces[0].mtu, 1400);         // the flag wins
  EXPECT_EQ(config.interfaces[1].mtu, 1500);         // flags change the first interface only
  EXPECT_EQ(config.log_level, LogLevel::warn);       // the file wins over the defaults
  EXPECT_EQ(config.gateway, Ipv4Addr(10, 0, 0, 1));  // the defaults fill the rest
}

TEST(CommandLine, HelpGoesToStdoutWithExitZero) {
  const CliOutcome outcome = run({"--help"});
  EXPECT_FALSE(outcome.config);
  EXPECT_EQ(outcome.exit_code, 0);
  EXPECT_FALSE(outcome.to_stderr);
  for (const char* flag : {"--config", "--tap", "--mac", "--mtu", "--address", "--gateway",
                           "--host-address", "--ipc-socket", "--log-level", "--version"}) {
    EXPECT_NE(outcome.output.find(flag), std::string::npos) << flag;
  }
  EXPECT_EQ(run({"-h"}).output, outcome.output);
}

TEST(CommandLine, VersionGoesToStdoutWithExitZero) {
  const CliOutcome outcome = run({"--version"});
  EXPECT_FALSE(outcome.config);
  EXPECT_EQ(outcome.exit_code, 0);
  EXPECT_FALSE(outcome.to_stderr);
  EXPECT_EQ(outcome.output, "tapstackd 1.2.3\n");
}

TEST(CommandLine, UnknownFlagsAndArgumentsExitTwo) {
  expect_usage_error(run({"--frobnicate"}),
                     "tapstackd: The following argument was not expected: --frobnicate\n"
                     "Run tapstackd --help for usage.\n");
  expect_usage_error(run({"extra"}),
                     "tapstackd: The following argument was not expected: extra\n"
                     "Run tapstackd --help for usage.\n");
}

TEST(CommandLine, MissingOrRepeatedValuesExitTwo) {
  const CliOutcome missing = run({"--mtu"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_TRUE(missing.to_stderr);
  EXPECT_NE(missing.output.find("--mtu"), std::string::npos) << missing.output;

  const CliOutcome repeated = run({"--mtu", "1400", "--mtu", "1300"});
  EXPECT_EQ(repeated.exit_code, 2);
  EXPECT_NE(repeated.output.find("--mtu"), std::string::npos) << repeated.output;
}

TEST(CommandLine, BadValuesNameTheFlag) {
  expect_usage_error(run({"--mtu", "70000"}),
                     "--mtu: expected an integer 68..65521, got \"70000\"\n");
  expect_usage_error(run({"--tap", "tap/0"}),
                     "--tap: expected a device name of 1..15 characters without \"/\", \":\" or "
                     "spaces, got \"tap/0\"\n");
  expect_usage_error(run({"--mac", "ff:ff:ff:ff:ff:ff"}),
                     "--mac: expected auto or a unicast MAC address such as 02:00:00:00:00:02, "
                     "got \"ff:ff:ff:ff:ff:ff\" (a multicast address)\n");
  expect_usage_error(run({"--address", "10.0.0.2/24", "--address", "10.0.0.3"}),
                     "--address: expected a unicast IPv4 address with prefix length such as "
                     "10.0.0.2/24, got \"10.0.0.3\" (no prefix length)\n");
  expect_usage_error(run({"--gateway", "10.0.0.1/24"}),
                     "--gateway: expected none or a unicast IPv4 address such as 10.0.0.1, got "
                     "\"10.0.0.1/24\"\n");
  expect_usage_error(run({"--ipc-socket", "tapstack.sock"}),
                     "--ipc-socket: expected an absolute path of at most 107 bytes, got "
                     "\"tapstack.sock\"\n");
  expect_usage_error(run({"--log-level", "verbose"}),
                     "--log-level: expected one of trace, debug, info, warn, error, got "
                     "\"verbose\"\n");
}

TEST(CommandLine, InconsistenciesAfterOverridesBlameTheFlagThatCausedThem) {
  expect_usage_error(
      run({"--gateway", "10.0.0.2"}),
      "--gateway: 10.0.0.2 is the stack's own address (interfaces[0].addresses[0])\n");
  expect_usage_error(run({"--host-address", "10.0.0.2/24"}),
                     "--host-address: 10.0.0.2 is the stack's own address "
                     "(interfaces[0].addresses[0]); the kernel side needs a different one\n");
}

TEST(CommandLine, InconsistenciesInUntouchedFieldsSayWhichFlagFixesThem) {
  expect_usage_error(
      run({"--address", "192.168.1.2/24", "--host-address", "192.168.1.1/24"}),
      "invalid configuration after command-line flags: gateway: 10.0.0.1 is not on the subnet "
      "of any interface address (192.168.1.2/24) (change it with --gateway)\n");
  const CliOutcome fixed = run({"--address", "192.168.1.2/24", "--host-address", "192.168.1.1/24",
                                "--gateway", "192.168.1.1"});
  ASSERT_TRUE(fixed.config) << fixed.output;
}

TEST(CommandLine, ConflictsWithOtherInterfacesNameTheirField) {
  const TempFile file(
      "interfaces:\n"
      "  - {tap: tap1, addresses: [10.0.0.2/24]}\n"
      "  - {tap: tap2, addresses: [10.0.2.2/24]}\n");
  expect_usage_error(run({"--config", file.path(), "--tap", "tap2"}),
                     "invalid configuration after command-line flags: interfaces[1].tap: \"tap2\" "
                     "is already used by interfaces[0]\n");
}

TEST(CommandLine, ConfigFileErrorsKeepTheirPosition) {
  const TempFile file("ipv4:\n  default_ttl: 300\n");
  expect_usage_error(run({"--config", file.path()}),
                     file.path() +
                         ":2:16: ipv4.default_ttl: expected an integer 1..255, got "
                         "\"300\"\n");
  const std::string absent = TempFile::unused_path();
  expect_usage_error(run({"--config", absent}),
                     absent + ": cannot open: No such file or directory\n");
}

}  // namespace
}  // namespace tapstack::config
