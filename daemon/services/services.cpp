#include "daemon/services/services.hpp"

#include <algorithm>
#include <utility>

#include "daemon/services/http_session.hpp"
#include "daemon/services/stream_sessions.hpp"

namespace tapstack::daemon::services {

std::string_view to_string(ServiceKind kind) {
  switch (kind) {
    case ServiceKind::echo:
      return "echo";
    case ServiceKind::discard:
      return "discard";
    case ServiceKind::chargen:
      return "chargen";
    case ServiceKind::http:
      return "http";
  }
  return "unknown";
}

Services::Services(TcpLayer& tcp, std::string version, Instant started)
    : tcp_(tcp),
      version_(std::move(version)),
      scratch_(kScratchSize),
      context_{tcp_, stats_, scratch_, version_, started} {}

Services::~Services() = default;

Result<void, std::string> Services::start(const config::ServicesConfig& config) {
  const std::pair<ServiceKind, const config::ServiceConfig*> wanted[] = {
      {ServiceKind::echo, &config.echo},
      {ServiceKind::discard, &config.discard},
      {ServiceKind::chargen, &config.chargen},
      {ServiceKind::http, &config.http}};
  for (const auto& [kind, service] : wanted) {
    if (!service->enabled) continue;
    const auto socket =
        tcp_.listen(SocketAddress{Ipv4Addr::any(), service->port}, kBacklog, TcpSocketOptions{});
    if (!socket) {
      const std::string message = "service " + std::string{to_string(kind)} + ": listen on port " +
                                  std::to_string(service->port) + ": " +
                                  std::string{to_string(socket.error())};
      for (const Listener& listener : listeners_) tcp_.close(listener.socket, Instant{});
      listeners_.clear();
      listening_.clear();
      return unexpected(message);
    }
    listeners_.push_back(Listener{*socket, kind});
    listening_.push_back(Listening{kind, service->port});
  }
  return {};
}

Result<void, std::string> Services::reconfigure(const config::ServicesConfig& config) {
  const std::pair<ServiceKind, const config::ServiceConfig*> wanted[] = {
      {ServiceKind::echo, &config.echo},
      {ServiceKind::discard, &config.discard},
      {ServiceKind::chargen, &config.chargen},
      {ServiceKind::http, &config.http}};
  const auto wanted_at = [&](ServiceKind kind, std::uint16_t port) {
    for (const auto& [k, service] : wanted) {
      if (k == kind) return service->enabled && service->port == port;
    }
    return false;
  };
  for (std::size_t i = listeners_.size(); i-- > 0;) {
    if (wanted_at(listening_[i].kind, listening_[i].port)) continue;
    tcp_.close(listeners_[i].socket, Instant{});
    listeners_.erase(listeners_.begin() + static_cast<std::ptrdiff_t>(i));
    listening_.erase(listening_.begin() + static_cast<std::ptrdiff_t>(i));
  }
  std::string failures;
  for (const auto& [kind, service] : wanted) {
    if (!service->enabled) continue;
    const bool already = std::any_of(listening_.begin(), listening_.end(),
                                     [kind = kind](const Listening& l) { return l.kind == kind; });
    if (already) continue;
    const auto socket =
        tcp_.listen(SocketAddress{Ipv4Addr::any(), service->port}, kBacklog, TcpSocketOptions{});
    if (!socket) {
      failures += (failures.empty() ? "" : "; ") + std::string{"service "} +
                  std::string{to_string(kind)} + ": listen on port " +
                  std::to_string(service->port) + ": " + std::string{to_string(socket.error())};
      continue;
    }
    listeners_.push_back(Listener{*socket, kind});
    listening_.push_back(Listening{kind, service->port});
  }
  if (!failures.empty()) return unexpected(failures);
  return {};
}

bool Services::handle(const TcpSocketEvent& event, Instant now) {
  for (const Listener& listener : listeners_) {
    if (listener.socket != event.socket) continue;
    if ((event.events & tcp_event::readable) != 0) accept_all(listener);
    return true;
  }
  const auto found = sessions_.find(event.socket.index);
  if (found == sessions_.end() || found->second.socket != event.socket) return false;
  if (!found->second.session->on_event(event.events, now)) finish(event.socket.index, now);
  return true;
}

void Services::accept_all(const Listener& listener) {
  for (;;) {
    const auto accepted = tcp_.accept(listener.socket);
    if (!accepted) {
      if (accepted.error() != SocketError::would_block) ++stats_.accept_failures;
      return;
    }
    ++stats_.connections_accepted;
    // The accept itself queues the new socket's first events (connected, writable and
    // readable if data came with the handshake): the session starts on those.
    sessions_.insert_or_assign(accepted->index,
                               Connection{*accepted, make_session(listener.kind, *accepted)});
  }
}

std::unique_ptr<Session> Services::make_session(ServiceKind kind, SocketHandle socket) {
  switch (kind) {
    case ServiceKind::echo:
      return std::make_unique<EchoSession>(context_, socket);
    case ServiceKind::discard:
      return std::make_unique<DiscardSession>(context_, socket);
    case ServiceKind::chargen:
      return std::make_unique<ChargenSession>(context_, socket);
    case ServiceKind::http:
      break;
  }
  return std::make_unique<HttpSession>(context_, socket);
}

void Services::finish(std::uint32_t index, Instant now) {
  const auto found = sessions_.find(index);
  if (found == sessions_.end()) return;
  tcp_.close(found->second.socket, now);
  sessions_.erase(found);
  ++stats_.connections_closed;
}

void Services::stop(Instant now) {
  // The daemon exits right after: data still queued would never leave, and a FIN behind it
  // neither, leaving the peer waiting. Such connections are reset; the others get their FIN.
  for (const auto& [index, connection] : sessions_) {
    const TcpConnection* tcp = tcp_.connection(connection.socket);
    if (tcp != nullptr && tcp->info().send_queue > 0) {
      tcp_.abort(connection.socket, now);  // releases the handle too
    } else {
      tcp_.close(connection.socket, now);
    }
    ++stats_.connections_closed;
  }
  sessions_.clear();
  for (const Listener& listener : listeners_) tcp_.close(listener.socket, now);
  listeners_.clear();
  listening_.clear();
}

}  // namespace tapstack::daemon::services
