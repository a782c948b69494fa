// tapstackctl: inspect and steer a running tapstackd over its IPC socket (PROTOCOL.md §7), the
// way ss, ip neigh, ip route and nstat do for the kernel's stack. The daemon renders the answer
// (aligned text, or JSON with --json); this program passes the command and prints it.
#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "ipc/client.hpp"

namespace {

constexpr const char* kDefaultSocket = "/run/tapstack/tapstack.sock";

std::string default_socket() {
  const char* path = std::getenv("TAPSTACK_SOCKET");
  return path != nullptr && *path != '\0' ? path : kDefaultSocket;
}

std::string explain(int error) {
  switch (error) {
    case EINVAL:
      return "unknown command or bad arguments (see tapstackctl --help)";
    case EPERM:
      return "not permitted: changes need root or the daemon's user";
    default:
      return std::strerror(error);
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "tapstackctl: status, sockets, stats and settings of a running tapstackd.\n"
      "Commands:\n"
      "  status               version, uptime, interfaces, socket and client counts\n"
      "  sockets              TCP and UDP sockets, like ss -tuanpie\n"
      "  stats                every counter, drop reasons included, like nstat -a\n"
      "  config               the configuration in effect, one key per line\n"
      "  addr | routes | neigh  addresses, routing table, ARP table (like ip address/route/neigh)\n"
      "  address add|del IFNAME ADDRESS  add A.B.C.D/N or remove A.B.C.D at run time\n"
      "  log-level [LEVEL]    show or set the log level (trace, debug, info, warn, error)",
      "tapstackctl"};
  std::string socket_path = default_socket();
  bool json = false;
  std::vector<std::string> command;
  app.add_option(
      "--socket", socket_path,
      "The daemon's IPC socket (default: $TAPSTACK_SOCKET or " + std::string{kDefaultSocket} + ")");
  app.add_flag("--json", json, "Answer in JSON");
  app.add_option("command", command, "The command and its arguments")->required();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error);
  }

  auto client = tapstack::ipc::Client::connect(socket_path);
  if (!client) {
    std::fprintf(stderr, "tapstackctl: cannot reach tapstackd at %s: %s\n", socket_path.c_str(),
                 std::strerror(client.error()));
    return 1;
  }
  std::string line;
  for (const std::string& word : command) line += (line.empty() ? "" : " ") + word;
  if (json) line += " --json";
  const auto answer = (*client)->admin(line);
  if (!answer) {
    std::fprintf(stderr, "tapstackctl: %s: %s\n", command.front().c_str(),
                 explain(answer.error()).c_str());
    return answer.error() == EINVAL ? 2 : 1;
  }
  std::fwrite(answer->data(), 1, answer->size(), stdout);
  return 0;
}
