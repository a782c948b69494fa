// Loading YAML on top of the defaults (config/loader.hpp): overrides, and the exact
// "FILE:LINE:COL: MESSAGE" of every class of error.
#include "config/loader.hpp"

#include <gtest/gtest.h>

#include "temp_file.hpp"

namespace tapstack::config {
namespace {

using namespace std::chrono_literals;

std::string load_error(std::string_view yaml) {
  try {
    load_config_text(yaml, "test.yaml");
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "no error";
}

TEST(LoadConfigText, PresentKeysOverrideAndTheRestKeepsDefaults) {
  const Config config = load_config_text(
      "arp:\n"
      "  reachable_time: 2min\n"
      "ipv4: {default_ttl: 128, reassembly_memory: 65536}\n"
      "log: {level: debug}\n",
      "test.yaml");
  Config expected = default_config();
  expected.arp.reachable_time = 2min;
  expected.ipv4.default_ttl = 128;
  expected.ipv4.reassembly_memory = 65536;
  expected.log_level = LogLevel::debug;
  EXPECT_EQ(config, expected);
}

TEST(LoadConfigText, ReadsEveryKey) {
  const Config config = load_config_text(
      "interfaces:\n"
      "  - tap: tap5\n"
      "    mac: 02:00:00:00:00:05\n"
      "    mtu: 9000\n"
      "    addresses: [192.168.5.2/24, 172.16.0.2/16]\n"
      "    host_address: 192.168.5.1/24\n"
      "gateway: 172.16.0.1\n"
      "arp: {reachable_time: 10s, retransmit_interval: 500ms, max_requests: 5,\n"
      "      max_entries: 64, max_pending_packets: 4}\n"
      "ipv4: {default_ttl: 1, reassembly_timeout: 15s, reassembly_memory: 1GiB}\n"
      "tap: {rx_buffers: 64, tx_buffers: 128, offloads: false, busy_poll: 50us}\n"
      "ipc: {socket: /tmp/t.sock, group: tapstack}\n"
      "log: {level: error}\n",
      "test.yaml");
  ASSERT_EQ(config.interfaces.size(), 1u);
  const InterfaceConfig& tap5 = config.interfaces[0];
  EXPECT_EQ(tap5.tap_name, "tap5");
  EXPECT_EQ(tap5.mac, MacAddr({0x02, 0, 0, 0, 0, 0x05}));
  EXPECT_EQ(tap5.mtu, 9000);
  EXPECT_EQ(tap5.addresses, (std::vector{Ipv4Cidr(Ipv4Addr(192, 168, 5, 2), 24),
                                         Ipv4Cidr(Ipv4Addr(172, 16, 0, 2), 16)}));
  EXPECT_EQ(tap5.host_address, Ipv4Cidr(Ipv4Addr(192, 168, 5, 1), 24));
  EXPECT_EQ(config.gateway, Ipv4Addr(172, 16, 0, 1));
  EXPECT_EQ(config.arp, (ArpConfig{10s, 500ms, 5, 64, 4}));
  EXPECT_EQ(config.ipv4, (Ipv4Config{1, 15s, std::uint64_t{1} << 30}));
  EXPECT_EQ(config.tap, (TapConfig{64, 128, false, 50us}));
  EXPECT_EQ(config.ipc, (IpcConfig{"/tmp/t.sock", "tapstack"}));
  EXPECT_EQ(config.log_level, LogLevel::error);
}

TEST(LoadConfigText, AnInterfaceListReplacesTheDefaultOne) {
  const Config config = load_config_text(
      "interfaces:\n"
      "  - {tap: tap1, addresses: [10.0.0.2/24]}\n"
      "  - {tap: tap2, addresses: [10.0.2.2/24], host_address: none}\n",
      "test.yaml");
  ASSERT_EQ(config.interfaces.size(), 2u);
  EXPECT_EQ(config.interfaces[0].tap_name, "tap1");
  EXPECT_EQ(config.interfaces[1].tap_name, "tap2");
  // Keys an entry leaves out take the per-interface defaults, not the built-in tap0's values.
  EXPECT_EQ(config.interfaces[0].mac, std::nullopt);
  EXPECT_EQ(config.interfaces[0].mtu, 1500);
  EXPECT_EQ(config.interfaces[0].host_address, std::nullopt);
  EXPECT_EQ(config.gateway, Ipv4Addr(10, 0, 0, 1));
}

TEST(LoadConfigText, NoneClearsOptionalAddresses) {
  const Config config = load_config_text(
      "gateway: none\n"
      "interfaces: [{tap: tap0, addresses: [10.9.0.2/24], host_address: none, mac: auto}]\n",
      "test.yaml");
  EXPECT_EQ(config.gateway, std::nullopt);
  EXPECT_EQ(config.interfaces[0].host_address, std::nullopt);
}

TEST(LoadConfigErrors, YamlSyntaxErrorsHaveTheirPosition) {
  EXPECT_EQ(load_error("arp: {max_entries: 5\nipv4: {}\n"),
            "test.yaml:2:5: invalid YAML: end of map flow not found");
  EXPECT_EQ(load_error("log:\n  level: info\n    extra: 1\n"),
            "test.yaml:3:10: invalid YAML: illegal map value");
  EXPECT_EQ(load_error("gateway: *nowhere\n"),
            "test.yaml:1:10: invalid YAML: the referenced anchor is not defined");
}

TEST(LoadConfigErrors, UnknownKeysListTheKnownOnes) {
  EXPECT_EQ(load_error("interfaces:\n- tap: tap0\n  adresses: [10.0.0.2/24]\n"),
            "test.yaml:3:3: unknown key \"adresses\" in interfaces[0] (known: tap, mac, mtu, "
            "addresses, host_address)");
  EXPECT_EQ(load_error("log: {level: info}\nloglevel: debug\n"),
            "test.yaml:2:1: unknown key \"loglevel\" at the top level (known: interfaces, gateway, "
            "routes, "
            "arp, ipv4, tap, ipc, metrics, host_nat, tcp, services, fault_injection, log)");
  EXPECT_EQ(load_error("ipv4:\n  ttl: 5\n"),
            "test.yaml:2:3: unknown key \"ttl\" in ipv4 (known: default_ttl, reassembly_timeout, "
            "reassembly_memory)");
}

TEST(LoadConfigErrors, DuplicateKeysAreRejected) {
  EXPECT_EQ(load_error("ipv4:\n  default_ttl: 5\n  default_ttl: 6\n"),
            "test.yaml:3:3: duplicate key \"default_ttl\" in ipv4");
}

TEST(LoadConfigErrors, WrongTypesNameWhatWasFound) {
  EXPECT_EQ(load_error("- tap0\n"),
            "test.yaml:1:1: expected a mapping at the top level, got a list");
  EXPECT_EQ(load_error("arp: 5\n"), "test.yaml:1:6: arp: expected a mapping, got \"5\"");
  EXPECT_EQ(load_error("interfaces: tap0\n"),
            "test.yaml:1:13: interfaces: expected a list, got \"tap0\"");
  EXPECT_EQ(load_error("interfaces:\n  - tap0\n"),
            "test.yaml:2:5: interfaces[0]: expected a mapping, got \"tap0\"");
  EXPECT_EQ(load_error("tap: {rx_buffers: [1]}\n"),
            "test.yaml:1:19: tap.rx_buffers: expected a single value, got a list");
  EXPECT_EQ(load_error("interfaces:\n  - tap: tap0\n    addresses: 10.0.0.2/24\n"),
            "test.yaml:3:16: interfaces[0].addresses: expected a list, got \"10.0.0.2/24\"");
  EXPECT_EQ(load_error("{[a]: 1}\n"),
            "test.yaml:1:2: expected a key name at the top level, got a list");
}

// An empty value is reported at its key: yaml-cpp would place it at the next token.
TEST(LoadConfigErrors, EmptyValuesPointAtTheirKey) {
  EXPECT_EQ(load_error("ipc:\n  group:\n  socket: /x\n"),
            "test.yaml:2:3: ipc.group: expected a single value, got nothing");
}

TEST(LoadConfigErrors, OutOfRangeValuesQuoteTheValue) {
  EXPECT_EQ(load_error("ipv4:\n  default_ttl: 300\n"),
            "test.yaml:2:16: ipv4.default_ttl: expected an integer 1..255, got \"300\"");
  EXPECT_EQ(load_error("interfaces:\n  - {tap: tap0, mtu: 67, addresses: [10.0.0.2/24]}\n"),
            "test.yaml:2:22: interfaces[0].mtu: expected an integer 68..65521, got \"67\"");
  EXPECT_EQ(load_error("interfaces:\n  - {tap: tap0, mtu: 65522, addresses: [10.0.0.2/24]}\n"),
            "test.yaml:2:22: interfaces[0].mtu: expected an integer 68..65521, got \"65522\"");
  EXPECT_EQ(load_error("arp: {reachable_time: 30}\n"),
            "test.yaml:1:23: arp.reachable_time: expected a duration 1s..1h with a unit (us, ms, "
            "s, min, h), got \"30\"");
  EXPECT_EQ(load_error("tap: {busy_poll: 2ms}\n"),
            "test.yaml:1:18: tap.busy_poll: expected a duration 0s..1ms with a unit (us, ms, s, "
            "min, h), got \"2ms\"");
  EXPECT_EQ(load_error("ipv4: {reassembly_memory: 4MB}\n"),
            "test.yaml:1:27: ipv4.reassembly_memory: expected a size 64KiB..1GiB in bytes, "
            "optionally with a unit (B, KiB, MiB, GiB), got \"4MB\"");
  EXPECT_EQ(load_error("log: {level: verbose}\n"),
            "test.yaml:1:14: log.level: expected one of trace, debug, info, warn, error, got "
            "\"verbose\"");
  EXPECT_EQ(load_error("interfaces:\n  - tap: tap0\n    addresses: [10.0.0.2/24, 10.0.0.300/24]\n"),
            "test.yaml:3:30: interfaces[0].addresses[1]: expected a unicast IPv4 address with "
            "prefix length such as 10.0.0.2/24, got \"10.0.0.300/24\"");
}

TEST(LoadConfigErrors, MissingRequiredInterfaceKeys) {
  EXPECT_EQ(load_error("interfaces:\n  - mtu: 1500\n    addresses: [10.0.0.2/24]\n"),
            "test.yaml:2:5: interfaces[0]: missing required key \"tap\"");
  EXPECT_EQ(load_error("interfaces:\n  - tap: tap0\n"),
            "test.yaml:2:5: interfaces[0]: missing required key \"addresses\"");
}

TEST(LoadConfigErrors, InterfaceRulesPointAtTheOffendingField) {
  EXPECT_EQ(load_error("interfaces: []\n"),
            "test.yaml:1:13: interfaces: at least one interface is required");
  EXPECT_EQ(load_error("interfaces:\n  - tap: tap0\n    addresses: []\n"),
            "test.yaml:3:16: interfaces[0].addresses: at least one address is required");
  EXPECT_EQ(load_error("interfaces:\n"
                       "  - tap: tap0\n"
                       "    addresses: [10.0.0.2/24]\n"
                       "  - tap: tap0\n"
                       "    addresses: [10.0.1.2/24]\n"),
            "test.yaml:4:10: interfaces[1].tap: \"tap0\" is already used by interfaces[0]");
  EXPECT_EQ(load_error("interfaces:\n"
                       "  - {tap: tap0, addresses: [10.0.0.2/24]}\n"
                       "  - {tap: tap1, addresses: [10.0.1.2/24, 10.0.0.2/16]}\n"),
            "test.yaml:3:42: interfaces[1].addresses[1]: 10.0.0.2 is already assigned to "
            "interfaces[0].addresses[0]");
}

TEST(LoadConfigErrors, HostAddressMustBeANeighbourOfTheStack) {
  EXPECT_EQ(load_error("interfaces:\n  - {tap: tap0, addresses: [10.0.0.2/24], "
                       "host_address: 10.0.0.2/24}\n"),
            "test.yaml:2:57: interfaces[0].host_address: 10.0.0.2 is the stack's own address "
            "(interfaces[0].addresses[0]); the kernel side needs a different one");
  EXPECT_EQ(load_error("interfaces:\n  - {tap: tap0, addresses: [10.0.0.2/24], "
                       "host_address: 10.0.1.1/24}\n"),
            "test.yaml:2:57: interfaces[0].host_address: 10.0.1.1 is not on the subnet of any "
            "address of interfaces[0] (10.0.0.2/24)");
}

TEST(LoadConfigErrors, GatewayMustBeOnAnInterfaceSubnet) {
  EXPECT_EQ(load_error("gateway: 192.168.1.1\n"),
            "test.yaml:1:10: gateway: 192.168.1.1 is not on the subnet of any interface address "
            "(10.0.0.2/24)");
  EXPECT_EQ(load_error("gateway: 10.0.0.2\n"),
            "test.yaml:1:10: gateway: 10.0.0.2 is the stack's own address "
            "(interfaces[0].addresses[0])");
}

// The built-in gateway does not follow a replaced interface list; say so instead of pointing at
// a line the user never wrote.
TEST(LoadConfigErrors, AnInvalidBuiltInDefaultIsExplained) {
  EXPECT_EQ(load_error("interfaces:\n  - {tap: tap0, addresses: [192.168.1.2/24]}\n"),
            "test.yaml:1:1: gateway: 10.0.0.1 is not on the subnet of any interface address "
            "(192.168.1.2/24); gateway is not set here, so its built-in default applies");
}

TEST(LoadConfigErrors, OnlyOneDocumentIsAllowed) {
  EXPECT_EQ(load_error("log: {level: info}\n---\nlog: {level: warn}\n"),
            "test.yaml:2:1: expected one YAML document, found a second one");
}

// yaml-cpp 0.7's LoadAll() never returns on this input (found by tests/fuzz/config_fuzzer).
TEST(LoadConfigErrors, LoneCommaIsAnErrorNotAHang) {
  EXPECT_EQ(load_error(","), "test.yaml:1:1: invalid YAML: unexpected token");
}

TEST(LoadConfigFile, ReadsTheFileOnTopOfTheDefaults) {
  const TempFile file("ipv4:\n  default_ttl: 32\n");
  const Config config = load_config_file(file.path());
  EXPECT_EQ(config.ipv4.default_ttl, 32);
  EXPECT_EQ(config.interfaces, default_config().interfaces);
}

TEST(LoadConfigFile, ErrorsNameTheFile) {
  const TempFile file("log:\n  level: loud\n");
  try {
    load_config_file(file.path());
    FAIL() << "no error";
  } catch (const ConfigError& error) {
    EXPECT_EQ(std::string(error.what()),
              file.path() +
                  ":2:10: log.level: expected one of trace, debug, info, warn, error, "
                  "got \"loud\"");
  }
}

TEST(LoadConfigFile, AMissingFileSaysWhy) {
  const std::string path = TempFile::unused_path();
  try {
    load_config_file(path);
    FAIL() << "no error";
  } catch (const ConfigError& error) {
    EXPECT_EQ(std::string(error.what()), path + ": cannot open: No such file or directory");
  }
}

TEST(LoadConfigFile, ADirectoryCannotBeRead) {
  const TempFile file("");
  const std::string directory = file.path().substr(0, file.path().rfind('/'));
  try {
    load_config_file(directory);
    FAIL() << "no error";
  } catch (const ConfigError& error) {
    EXPECT_EQ(std::string(error.what()), directory + ": cannot read: Is a directory");
  }
}

TEST(LoadConfigFile, AnOversizedFileIsRejected) {
  const TempFile file(std::string(std::size_t{1} << 20, '#') + "\n");
  try {
    load_config_file(file.path());
    FAIL() << "no error";
  } catch (const ConfigError& error) {
    EXPECT_EQ(std::string(error.what()), file.path() + ": larger than 1MiB, not a config file");
  }
}

}  // namespace
}  // namespace tapstack::config
