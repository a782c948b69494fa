#include "config/cli_options.hpp"

#include <CLI/CLI.hpp>
#include <array>
#include <vector>

#include "config/config_error.hpp"
#include "config/field_parsers.hpp"
#include "config/loader.hpp"
#include "config/validate.hpp"

namespace tapstack::config {
namespace {

constexpr int kUsageExitCode = 2;

// The raw text of every flag; parsed by config/field_parsers.hpp so that flags and files accept
// the same spellings and report the same messages.
struct FlagValues {
  std::string config_file;
  std::string tap;
  std::string mac;
  std::string mtu;
  std::vector<std::string> addresses;
  std::string gateway;
  std::string host_address;
  std::string ipc_socket;
  std::string log_level;
};

// The fields that config/validate.hpp can blame, and the flag that sets each one.
struct FlagField {
  std::string_view flag;
  std::string_view path;
};
constexpr std::array<FlagField, 3> kFlagFields{{
    {"--address", "interfaces[0].addresses"},
    {"--host-address", "interfaces[0].host_address"},
    {"--gateway", "gateway"},
}};

void define_flags(CLI::App& app, FlagValues& values) {
  app.add_option("--config", values.config_file, "YAML file applied over the embedded defaults")
      ->type_name("FILE");
  app.add_option("--tap", values.tap, "TAP device of the first interface")->type_name("NAME");
  app.add_option("--mac", values.mac, "Its MAC address, or auto")->type_name("MAC");
  app.add_option("--mtu", values.mtu, "Its MTU in bytes, 68..65521")->type_name("N");
  app.add_option("--address", values.addresses,
                 "Its address with prefix length; repeat for several (replaces its list)")
      ->type_name("CIDR");
  app.add_option("--host-address", values.host_address,
                 "Address for the kernel side of its TAP device, or none")
      ->type_name("CIDR|none");
  app.add_option("--gateway", values.gateway, "Default route next hop, or none")
      ->type_name("IP|none");
  app.add_option("--ipc-socket", values.ipc_socket, "Unix socket path for clients")
      ->type_name("PATH");
  app.add_option("--log-level", values.log_level, "trace, debug, info, warn or error")
      ->type_name("LEVEL");
  app.footer(
      "Every setting, its range and default: tapstackd.yaml(5) and the example it names\n"
      "(share/doc/tapstack/tapstackd.example.yaml; config/defaults.yaml in the source tree).");
}

CliOutcome failure(std::string message) {
  return CliOutcome{std::nullopt, kUsageExitCode, std::move(message) + '\n', true};
}

bool given(const CLI::App& app, std::string_view flag) {
  return app.count(std::string(flag)) > 0;
}

// Parses `text` with `parse` into `target` when `flag` was given; the error names the flag.
template <typename Parse, typename T>
std::optional<std::string> override_field(const CLI::App& app, std::string_view flag,
                                          const std::string& text, Parse parse, T& target) {
  if (!given(app, flag)) return std::nullopt;
  auto value = parse(text);
  if (!value) return std::string(flag) + ": " + value.error();
  target = std::move(*value);
  return std::nullopt;
}

// Precondition: `config` is validated, so it has a first interface.
std::optional<std::string> apply_flags(const CLI::App& app, const FlagValues& values,
                                       Config& config) {
  InterfaceConfig& first = config.interfaces.front();
  if (auto error = override_field(app, "--tap", values.tap, parse_tap_name, first.tap_name)) {
    return error;
  }
  if (auto error = override_field(app, "--mac", values.mac, parse_mac_setting, first.mac)) {
    return error;
  }
  if (auto error = override_field(app, "--mtu", values.mtu, parse_mtu, first.mtu)) return error;
  if (given(app, "--address")) {
    first.addresses.clear();
    for (const std::string& text : values.addresses) {
      const auto cidr = parse_interface_address(text);
      if (!cidr) return "--address: " + cidr.error();
      first.addresses.push_back(*cidr);
    }
  }
  if (auto error = override_field(app, "--host-address", values.host_address, parse_host_address,
                                  first.host_address)) {
    return error;
  }
  if (auto error =
          override_field(app, "--gateway", values.gateway, parse_gateway, config.gateway)) {
    return error;
  }
  if (auto error = override_field(app, "--ipc-socket", values.ipc_socket, parse_socket_path,
                                  config.ipc.socket_path)) {
    return error;
  }
  return override_field(app, "--log-level", values.log_level, parse_log_level, config.log_level);
}

bool path_within(std::string_view path, std::string_view ancestor) {
  return path.starts_with(ancestor) &&
         (path.size() == ancestor.size() || path[ancestor.size()] == '.' ||
          path[ancestor.size()] == '[');
}

// Blames the flag that set the offending field, or points at the flag that could fix it.
std::string describe_issue(const CLI::App& app, const ConfigIssue& issue) {
  const std::string generic =
      "invalid configuration after command-line flags: " + issue.path + ": " + issue.message;
  for (const FlagField& flag_field : kFlagFields) {
    if (!path_within(issue.path, flag_field.path)) continue;
    if (given(app, flag_field.flag)) return std::string(flag_field.flag) + ": " + issue.message;
    return generic + " (change it with " + std::string(flag_field.flag) + ')';
  }
  return generic;
}

}  // namespace

CliOutcome parse_command_line(int argc, const char* const* argv, std::string_view version) {
  CLI::App app(
      "tapstackd: a user-space TCP/IP stack serving programs through a TAP device.\n"
      "Settings: embedded defaults, then --config FILE, then these flags.",
      "tapstackd");
  FlagValues values;
  define_flags(app, values);
  app.set_version_flag("--version", "tapstackd " + std::string(version));
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForVersion& done) {
    return CliOutcome{std::nullopt, 0, std::string(done.what()) + '\n', false};
  } catch (const CLI::Success&) {
    return CliOutcome{std::nullopt, 0, app.help(), false};
  } catch (const CLI::ParseError& error) {
    return failure("tapstackd: " + std::string(error.what()) + "\nRun tapstackd --help for usage.");
  }

  Config config;
  try {
    config = given(app, "--config") ? load_config_file(values.config_file) : default_config();
  } catch (const ConfigError& error) {
    return failure(error.what());
  }
  if (const auto error = apply_flags(app, values, config)) return failure(*error);
  if (const auto issue = find_config_issue(config)) return failure(describe_issue(app, *issue));
  return CliOutcome{std::move(config), 0, {}, false};
}

}  // namespace tapstack::config
