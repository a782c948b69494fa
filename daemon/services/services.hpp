// The dispatcher of the built-in services: one listener per enabled service on INADDR_ANY, one
// Session per accepted connection. It uses the TcpLayer's socket API only, as a program would:
// the event loop hands it the TCP events (TcpLayer::pop_event) of the sockets it owns.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "config/config.hpp"
#include "daemon/services/service_stats.hpp"
#include "daemon/services/session.hpp"
#include "stack/base/result.hpp"
#include "stack/tcp/tcp_layer.hpp"

namespace tapstack::daemon::services {

enum class ServiceKind : std::uint8_t { echo, discard, chargen, http };
std::string_view to_string(ServiceKind kind);

struct Listening {
  ServiceKind kind;
  std::uint16_t port;
};

class Services {
 public:
  static constexpr std::size_t kScratchSize = 64 * 1024;
  static constexpr std::uint32_t kBacklog = 128;

  // `tcp` outlives the Services. `version` shows on the HTTP status page, uptime counts from
  // `started`.
  Services(TcpLayer& tcp, std::string version, Instant started);
  ~Services();
  Services(const Services&) = delete;
  Services& operator=(const Services&) = delete;

  // Listens on INADDR_ANY for every enabled service. On failure nothing stays open and the
  // message names the service, port and error.
  Result<void, std::string> start(const config::ServicesConfig& config);

  // A reload: stops listening for services now disabled or moved to another port, and listens
  // for the newly enabled ones; connections in progress go on. The message names what failed.
  Result<void, std::string> reconfigure(const config::ServicesConfig& config);

  // Hands one event to the owner of its socket. Returns false when no service owns it.
  bool handle(const TcpSocketEvent& event, Instant now);

  // Closes every listener and connection before the daemon exits: with a FIN when all its data
  // was acknowledged, else with a reset (nothing would send the rest).
  void stop(Instant now);

  const std::vector<Listening>& listening() const { return listening_; }
  std::size_t session_count() const { return sessions_.size(); }
  const ServiceStats& stats() const { return stats_; }

 private:
  struct Listener {
    SocketHandle socket;
    ServiceKind kind;
  };
  struct Connection {
    SocketHandle socket;
    std::unique_ptr<Session> session;
  };

  void accept_all(const Listener& listener);
  std::unique_ptr<Session> make_session(ServiceKind kind, SocketHandle socket);
  void finish(std::uint32_t index, Instant now);

  TcpLayer& tcp_;
  std::string version_;
  ServiceStats stats_;
  std::vector<std::byte> scratch_;
  SessionContext context_;
  std::vector<Listener> listeners_;
  std::vector<Listening> listening_;
  std::unordered_map<std::uint32_t, Connection> sessions_;  // by SocketHandle::index
};

}  // namespace tapstack::daemon::services
