#include "daemon/host_nat.hpp"

#include <nftables/libnftables.h>

#include <fstream>
#include <set>

namespace tapstack::daemon {
namespace {

constexpr const char* kForwarding = "/proc/sys/net/ipv4/ip_forward";

// Runs nftables commands; the error text of a failure.
Result<void, std::string> run_nft(const std::string& commands) {
  nft_ctx* ctx = nft_ctx_new(NFT_CTX_DEFAULT);
  if (ctx == nullptr) return unexpected(std::string{"libnftables: no context"});
  nft_ctx_buffer_output(ctx);
  nft_ctx_buffer_error(ctx);
  const int failed = nft_run_cmd_from_buffer(ctx, commands.c_str());
  std::string error = nft_ctx_get_error_buffer(ctx);
  nft_ctx_free(ctx);
  if (failed != 0) {
    while (!error.empty() && (error.back() == '\n' || error.back() == ' ')) error.pop_back();
    return unexpected(error.empty() ? std::string{"nftables refused the rules"} : error);
  }
  return {};
}

std::string read_forwarding() {
  std::ifstream file(kForwarding);
  std::string value;
  file >> value;
  return value;
}

bool write_forwarding(const char* value) {
  std::ofstream file(kForwarding);
  file << value;
  file.flush();
  return static_cast<bool>(file);
}

}  // namespace

std::string HostNat::ruleset(const config::Config& config) {
  std::set<std::string> subnets;
  std::string taps;
  for (const config::InterfaceConfig& interface : config.interfaces) {
    for (const Ipv4Cidr& address : interface.addresses) {
      subnets.insert(Ipv4Cidr{address.network(), address.prefix_len()}.to_string());
    }
    taps += (taps.empty() ? "\"" : ", \"") + interface.tap_name + "\"";
  }
  std::string sources;
  for (const std::string& subnet : subnets) sources += (sources.empty() ? "" : ", ") + subnet;
  const std::string out = config.host_nat.uplink.empty()
                              ? "oifname != { " + taps + " }"
                              : "oifname \"" + config.host_nat.uplink + "\"";
  return std::string{"table ip "} + kTable + " {\n" +
         "  chain postrouting {\n"
         "    type nat hook postrouting priority srcnat; policy accept;\n"
         "    ip saddr { " +
         sources + " } " + out +
         " masquerade\n"
         "  }\n"
         "}\n";
}

Result<std::unique_ptr<HostNat>, std::string> HostNat::enable(const config::Config& config,
                                                              const Logger& log) {
  // A table left by a daemon that did not stop cleanly is replaced, not duplicated.
  (void)run_nft(std::string{"delete table ip "} + kTable);
  const bool was_off = read_forwarding() == "0";
  if (was_off && !write_forwarding("1")) {
    return unexpected(std::string{"host_nat: cannot turn on IPv4 forwarding ("} + kForwarding +
                      " is not writable; set net.ipv4.ip_forward=1 in sysctl.d)");
  }
  if (auto added = run_nft(ruleset(config)); !added) {
    if (was_off) write_forwarding("0");
    return unexpected("host_nat: nftables: " + added.error());
  }
  log.info(std::string{"host_nat: forwarding on, table ip "} + kTable + " masquerades " +
           (config.host_nat.uplink.empty() ? "toward any interface but the TAP devices"
                                           : "out of " + config.host_nat.uplink));
  return std::unique_ptr<HostNat>{new HostNat{log, was_off}};
}

HostNat::~HostNat() {
  if (auto removed = run_nft(std::string{"delete table ip "} + kTable); !removed) {
    log_.warn("host_nat: removing the nftables table: " + removed.error());
  }
  if (restore_ && !write_forwarding("0")) log_.warn("host_nat: cannot turn forwarding off again");
  log_.info("host_nat: removed");
}

}  // namespace tapstack::daemon
