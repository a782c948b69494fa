#include "config/loader.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstdio>
#include <memory>
#include <sstream>
#include <system_error>
#include <vector>

#include "config/embedded_defaults.hpp"
#include "config/field_parsers.hpp"
#include "config/section_readers.hpp"
#include "config/validate.hpp"
#include "config/yaml_fields.hpp"

namespace tapstack::config {
namespace {

constexpr std::size_t kMaxFileSize = std::size_t{1} << 20;
constexpr const char* kDefaultsSourceName = "config/defaults.yaml (embedded)";

RouteConfig read_route(DocumentReader& reader, const Field& field) {
  RouteConfig route;
  bool has_to = false;
  bool has_via = false;
  for (const Field& entry : reader.entries(field, {"to", "via"})) {
    if (entry.key == "to") {
      route.to = reader.scalar(entry, parse_route_prefix);
      has_to = true;
    } else {
      route.via = reader.scalar(entry, parse_next_hop);
      has_via = true;
    }
  }
  if (!has_to) reader.fail(field, "missing required key \"to\"");
  if (!has_via) reader.fail(field, "missing required key \"via\"");
  return route;
}

InterfaceConfig read_interface(DocumentReader& reader, const Field& field) {
  InterfaceConfig interface;
  bool has_tap = false;
  bool has_addresses = false;
  for (const Field& entry :
       reader.entries(field, {"tap", "mac", "mtu", "addresses", "host_address"})) {
    if (entry.key == "tap") {
      interface.tap_name = reader.scalar(entry, parse_tap_name);
      has_tap = true;
    } else if (entry.key == "mac") {
      interface.mac = reader.scalar(entry, parse_mac_setting);
    } else if (entry.key == "mtu") {
      interface.mtu = reader.scalar(entry, parse_mtu);
    } else if (entry.key == "addresses") {
      for (const Field& item : reader.items(entry)) {
        interface.addresses.push_back(reader.scalar(item, parse_interface_address));
      }
      has_addresses = true;
    } else if (entry.key == "host_address") {
      interface.host_address = reader.scalar(entry, parse_host_address);
    }
  }
  if (!has_tap) reader.fail(field, "missing required key \"tap\"");
  if (!has_addresses) reader.fail(field, "missing required key \"addresses\"");
  return interface;
}

void read_arp(DocumentReader& reader, const Field& field, ArpConfig& arp) {
  const auto duration = [&](const Field& entry, limits::Range<Duration> range) {
    return reader.scalar(entry,
                         [&](std::string_view text) { return parse_duration_in(text, range); });
  };
  const auto integer = [&](const Field& entry, limits::Range<std::uint32_t> range) {
    return reader.scalar(entry,
                         [&](std::string_view text) { return parse_integer_in(text, range); });
  };
  for (const Field& entry :
       reader.entries(field, {"reachable_time", "retransmit_interval", "max_requests",
                              "max_entries", "max_pending_packets"})) {
    if (entry.key == "reachable_time") {
      arp.reachable_time = duration(entry, limits::kArpReachableTime);
    } else if (entry.key == "retransmit_interval") {
      arp.retransmit_interval = duration(entry, limits::kArpRetransmitInterval);
    } else if (entry.key == "max_requests") {
      arp.max_requests = integer(entry, limits::kArpMaxRequests);
    } else if (entry.key == "max_entries") {
      arp.max_entries = integer(entry, limits::kArpMaxEntries);
    } else if (entry.key == "max_pending_packets") {
      arp.max_pending_packets = integer(entry, limits::kArpMaxPendingPackets);
    }
  }
}

void read_ipv4(DocumentReader& reader, const Field& field, Ipv4Config& ipv4) {
  for (const Field& entry :
       reader.entries(field, {"default_ttl", "reassembly_timeout", "reassembly_memory"})) {
    if (entry.key == "default_ttl") {
      ipv4.default_ttl = reader.scalar(
          entry, [](std::string_view text) { return parse_integer_in(text, limits::kDefaultTtl); });
    } else if (entry.key == "reassembly_timeout") {
      ipv4.reassembly_timeout = reader.scalar(entry, [](std::string_view text) {
        return parse_duration_in(text, limits::kReassemblyTimeout);
      });
    } else if (entry.key == "reassembly_memory") {
      ipv4.reassembly_memory = reader.scalar(entry, [](std::string_view text) {
        return parse_size_in(text, limits::kReassemblyMemory);
      });
    }
  }
}

void read_tap(DocumentReader& reader, const Field& field, TapConfig& tap) {
  for (const Field& entry :
       reader.entries(field, {"rx_buffers", "tx_buffers", "offloads", "busy_poll"})) {
    if (entry.key == "offloads") {
      tap.offloads = reader.scalar(entry, parse_bool);
      continue;
    }
    if (entry.key == "busy_poll") {
      tap.busy_poll = reader.scalar(entry, [](std::string_view text) {
        return parse_duration_in(text, limits::kTapBusyPoll);
      });
      continue;
    }
    const auto range = entry.key == "rx_buffers" ? limits::kTapRxBuffers : limits::kTapTxBuffers;
    const auto value =
        reader.scalar(entry, [&](std::string_view text) { return parse_integer_in(text, range); });
    (entry.key == "rx_buffers" ? tap.rx_buffers : tap.tx_buffers) = value;
  }
}

void read_ipc(DocumentReader& reader, const Field& field, IpcConfig& ipc) {
  const auto integer = [&](const Field& entry, limits::Range<std::uint32_t> range) {
    return reader.scalar(entry,
                         [&](std::string_view text) { return parse_integer_in(text, range); });
  };
  for (const Field& entry :
       reader.entries(field, {"socket", "group", "max_clients", "max_sockets_per_client",
                              "max_sockets", "max_buffer_per_client", "unprivileged_port_start"})) {
    if (entry.key == "socket") ipc.socket_path = reader.scalar(entry, parse_socket_path);
    if (entry.key == "group") ipc.group = reader.scalar_text(entry);
    if (entry.key == "max_clients") ipc.max_clients = integer(entry, limits::kIpcMaxClients);
    if (entry.key == "max_sockets_per_client") {
      ipc.max_sockets_per_client = integer(entry, limits::kIpcMaxSockets);
    }
    if (entry.key == "max_sockets") ipc.max_sockets = integer(entry, limits::kIpcMaxSockets);
    if (entry.key == "max_buffer_per_client") {
      ipc.max_buffer_per_client = reader.scalar(entry, [](std::string_view text) {
        return parse_size_in(text, limits::kIpcMaxBufferPerClient);
      });
    }
    if (entry.key == "unprivileged_port_start") {
      ipc.unprivileged_port_start = reader.scalar(entry, [](std::string_view text) {
        return parse_integer_in(text, limits::kUnprivilegedPortStart);
      });
    }
  }
}

void read_host_nat(DocumentReader& reader, const Field& field, HostNatConfig& nat) {
  for (const Field& entry : reader.entries(field, {"enabled", "uplink"})) {
    if (entry.key == "enabled") nat.enabled = reader.scalar(entry, parse_bool);
    if (entry.key == "uplink") {
      // An interface name as for TAP devices (IFNAMSIZ, no '/' or blanks), or "" for any.
      nat.uplink = reader.scalar(entry, [](std::string_view text) -> ParseResult<std::string> {
        if (text.empty()) return std::string{};
        return parse_tap_name(text);
      });
    }
  }
}

void read_metrics(DocumentReader& reader, const Field& field, MetricsConfig& metrics) {
  for (const Field& entry : reader.entries(field, {"listen"})) {
    metrics = reader.scalar(entry, parse_metrics_listen);
  }
}

void read_log(DocumentReader& reader, const Field& field, Config& config) {
  for (const Field& entry : reader.entries(field, {"level"})) {
    config.log_level = reader.scalar(entry, parse_log_level);
  }
}

void read_document(DocumentReader& reader, const Field& root, Config& config) {
  for (const Field& entry :
       reader.entries(root, {"interfaces", "gateway", "routes", "arp", "ipv4", "tap", "ipc",
                             "metrics", "host_nat", "tcp", "services", "fault_injection", "log"})) {
    if (entry.key == "interfaces") {
      config.interfaces.clear();
      for (const Field& item : reader.items(entry)) {
        config.interfaces.push_back(read_interface(reader, item));
      }
    } else if (entry.key == "gateway") {
      config.gateway = reader.scalar(entry, parse_gateway);
    } else if (entry.key == "routes") {
      config.routes.clear();
      for (const Field& item : reader.items(entry))
        config.routes.push_back(read_route(reader, item));
    } else if (entry.key == "arp") {
      read_arp(reader, entry, config.arp);
    } else if (entry.key == "ipv4") {
      read_ipv4(reader, entry, config.ipv4);
    } else if (entry.key == "tap") {
      read_tap(reader, entry, config.tap);
    } else if (entry.key == "ipc") {
      read_ipc(reader, entry, config.ipc);
    } else if (entry.key == "metrics") {
      read_metrics(reader, entry, config.metrics);
    } else if (entry.key == "host_nat") {
      read_host_nat(reader, entry, config.host_nat);
    } else if (entry.key == "tcp") {
      read_tcp(reader, entry, config.tcp);
    } else if (entry.key == "services") {
      read_services(reader, entry, config.services);
    } else if (entry.key == "fault_injection") {
      read_fault_injection(reader, entry, config.fault_injection);
    } else if (entry.key == "log") {
      read_log(reader, entry, config);
    }
  }
}

// Where each document of a YAML stream starts; nothing else is kept.
class DocumentStarts final : public YAML::EventHandler {
 public:
  std::vector<YAML::Mark> marks;

  void OnDocumentStart(const YAML::Mark& mark) override { marks.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

// An empty document (or one of only comments) is valid and changes nothing. We look at two
// documents at most ourselves instead of YAML::LoadAll(): yaml-cpp 0.7's LoadAll() loops
// forever, allocating, on some malformed input such as a lone "," (jbeder/yaml-cpp#1040, fixed
// upstream by PR #1319 after Debian 12's version); found by tests/fuzz/config_fuzzer.
YAML::Node parse_single_document(const DocumentReader& reader, std::string_view yaml) {
  const std::string text(yaml);
  try {
    std::istringstream stream(text);
    YAML::Parser parser(stream);
    DocumentStarts starts;
    for (int i = 0; i < 2 && parser.HandleNextDocument(starts); ++i) {
    }
    if (starts.marks.size() > 1) {
      // A "document" that starts where the previous one did is the parser stuck on a token.
      if (starts.marks[1].pos == starts.marks[0].pos) {
        reader.fail(starts.marks[1], "invalid YAML: unexpected token");
      }
      reader.fail(starts.marks[1], "expected one YAML document, found a second one");
    }
    return starts.marks.empty() ? YAML::Node{} : YAML::Load(text);
  } catch (const YAML::Exception& error) {
    reader.fail(error.mark, "invalid YAML: " + error.msg);
  }
  return YAML::Node{};
}

// Applies `yaml` on top of `config` and validates the result.
Config apply_document(Config config, std::string_view yaml, const std::string& source_name) {
  DocumentReader reader(source_name);
  const Field root = reader.root(parse_single_document(reader, yaml));
  read_document(reader, root, config);
  if (const auto issue = find_config_issue(config)) {
    std::string message = issue->path + ": " + issue->message;
    if (!reader.position_of(issue->path)) {
      message += "; " + issue->path + " is not set here, so its built-in default applies";
    }
    reader.fail(reader.nearest_position_of(issue->path), message);
  }
  return config;
}

std::string errno_text() {
  return std::generic_category().message(errno);
}

std::string read_file(const std::string& path) {
  const std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                             &std::fclose);
  if (!file) throw ConfigError(path + ": cannot open: " + errno_text());
  std::string text;
  char chunk[4096];
  while (text.size() <= kMaxFileSize) {
    const std::size_t count = std::fread(chunk, 1, sizeof chunk, file.get());
    text.append(chunk, count);
    if (count < sizeof chunk) break;
  }
  if (std::ferror(file.get())) throw ConfigError(path + ": cannot read: " + errno_text());
  if (text.size() > kMaxFileSize) throw ConfigError(path + ": larger than 1MiB, not a config file");
  return text;
}

}  // namespace

Config default_config() {
  return apply_document(Config{}, embedded_defaults_yaml(), kDefaultsSourceName);
}

Config load_config_text(std::string_view yaml, const std::string& source_name) {
  return apply_document(default_config(), yaml, source_name);
}

Config load_config_file(const std::string& path) {
  return load_config_text(read_file(path), path);
}

}  // namespace tapstack::config
