// The daemon side of the IPC protocol (ipc/PROTOCOL.md): accepts control connections on a Unix
// socket, answers their requests with the stack's TcpLayer and UdpLayer, and pumps each socket's
// data channel.
//
// Runs in the daemon's single io_context. Asio handlers only record readiness; all work (and
// every stack call) happens in service(now) and handle(event, now), called by the event loop
// once per turn with the turn's `now`. Not thread-safe.
#pragma once

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "config/config.hpp"
#include "daemon/ipc/control_session.hpp"
#include "daemon/ipc/ipc_socket.hpp"

namespace tapstack::daemon::ipc {

struct IpcServerSettings {
  std::string socket_path = "/run/tapstack/tapstack.sock";
  std::string group;  // empty: the daemon's group
  std::size_t max_clients = 1024;
  std::size_t max_sockets_per_client = 4096;
  std::size_t max_sockets = 65536;
  // Stack buffer space one client's sockets may reserve (buffer_reservation()): ENOBUFS beyond.
  std::size_t max_buffer_per_client = std::size_t{25} << 30;
  std::uint16_t unprivileged_port_start = 1024;  // below: bind needs uid 0 (EACCES)
  std::size_t requests_per_turn = 64;            // per client, for fairness
  std::size_t bytes_per_turn = 256 * 1024;       // per socket and direction, for fairness
  TcpSettings tcp;                               // the stack's defaults, for getsockopt
  UdpSettings udp;
};

struct IpcStats {
  std::uint64_t clients_accepted = 0;
  std::uint64_t clients_rejected = 0;  // over max_clients
  std::uint64_t clients_dropped = 0;   // closed for a protocol error or a full outbox
  std::uint64_t sockets_created = 0;
  std::uint64_t sockets_closed = 0;
  std::uint64_t connections_accepted = 0;     // from listeners, handed to programs
  std::uint64_t events_dropped = 0;           // a client's control socket was full
  std::uint64_t requests_refused_bad_fd = 0;  // EBADF: unknown id or fd/inode mismatch

  // Every counter with its name (without the ipc_ prefix operators see), in a fixed order.
  std::array<std::pair<std::string_view, std::uint64_t>, 8> named() const {
    return {{{"clients_accepted", clients_accepted},
             {"clients_rejected", clients_rejected},
             {"clients_dropped", clients_dropped},
             {"sockets_created", sockets_created},
             {"sockets_closed", sockets_closed},
             {"connections_accepted", connections_accepted},
             {"events_dropped", events_dropped},
             {"requests_refused_bad_fd", requests_refused_bad_fd}}};
  }
};

// Where the server's log lines go (the daemon passes its Logger).
using IpcLog = std::function<void(config::LogLevel, std::string_view)>;

// Who runs an admin command (PROTOCOL.md §7). Privileged: root or the daemon's own user, who
// may change settings and see every socket's owner.
struct AdminCaller {
  Credentials credentials;
  bool privileged = false;
};
// Runs an admin command line; the answer or an errno (EINVAL, EPERM, ...).
using AdminHandler =
    std::function<Result<std::string, std::uint32_t>(const AdminCaller&, std::string_view)>;

// A socket's owner, for listings: the stack's handle and who created the socket.
struct SocketOwner {
  tapstack::ipc::SocketKind kind = tapstack::ipc::SocketKind::tcp;
  SocketHandle handle;
  std::shared_ptr<const Credentials> creator;  // null when unknown
};

class IpcServer {
 public:
  // `io`, `tcp` and `udp` outlive the server.
  IpcServer(boost::asio::io_context& io, TcpLayer& tcp, UdpLayer& udp, IpcServerSettings settings,
            IpcLog log);
  ~IpcServer();
  IpcServer(const IpcServer&) = delete;
  IpcServer& operator=(const IpcServer&) = delete;

  // Creates the listening socket and starts accepting. On failure, the message says why.
  Result<void, std::string> start();

  // One loop turn: accepts clients, answers requests, moves channel bytes into TCP. Wakes the
  // io_context again (a posted no-op) when it stopped at a fairness budget.
  void service(Instant now);

  // Hands one TCP event to the socket's IPC owner. Returns false when IPC does not own it.
  bool handle(const TcpSocketEvent& event, Instant now);
  // Likewise for a UDP event.
  bool handle(const UdpSocketEvent& event, Instant now);

  // Closes every client and socket (TCP connections close gracefully) and the listener.
  void stop(Instant now);

  // Sets who answers admin commands; without one they fail with EOPNOTSUPP.
  void set_admin_handler(AdminHandler handler) { admin_ = std::move(handler); }
  std::vector<SocketOwner> socket_owners() const;
  // A reload: new limits apply to the next client or socket; nothing open is closed.
  void set_limits(std::size_t max_clients, std::size_t max_sockets_per_client,
                  std::size_t max_sockets, std::size_t max_buffer_per_client) {
    settings_.max_clients = max_clients;
    settings_.max_sockets_per_client = max_sockets_per_client;
    settings_.max_sockets = max_sockets;
    settings_.max_buffer_per_client = max_buffer_per_client;
  }

  std::size_t client_count() const { return sessions_.size(); }
  std::size_t socket_count() const { return sockets_.size(); }
  const IpcStats& stats() const { return stats_; }

 private:
  friend class RequestHandler;

  // Accepting and serving control connections (ipc_server.cpp).
  void wait_for_clients();
  void accept_clients();
  void serve_session(ControlSession& session, Instant now);
  void close_session(std::uint64_t id, std::string_view reason, bool protocol_error);
  void arm_session_read(ControlSession& session);
  void arm_session_write(ControlSession& session);
  void send_event(IpcSocket& socket, tapstack::ipc::EventKind what, std::uint32_t error);

  // Sockets and their channels (ipc_server.cpp).
  IpcSocket* find_socket(std::uint32_t id);
  IpcSocket* find_socket_by_fd(const tapstack::ipc::FileIdentity& client_end);
  IpcSocket& add_socket(std::uint64_t owner, tapstack::ipc::SocketKind kind, DataChannel channel);
  void close_socket(IpcSocket& socket, Instant now);
  void bind_handle(IpcSocket& socket, SocketHandle handle);
  void arm_channel(IpcSocket& socket, boost::asio::posix::descriptor_base::wait_type type);
  void mark_ready(std::uint32_t id);
  void serve_socket(IpcSocket& socket, Instant now);
  void serve_udp_socket(IpcSocket& socket, Instant now);
  void pump_in(IpcSocket& socket, Instant now);
  void pump_out(IpcSocket& socket, Instant now);
  bool grow_channel(IpcSocket& socket);
  void on_channel_eof(IpcSocket& socket, Instant now);
  void on_connect_result(IpcSocket& socket, std::uint32_t error);
  void accept_connections(IpcSocket& listener, Instant now);
  bool deliver_accepted(IpcSocket& listener);
  // ENFILE, EMFILE or ENOBUFS when `owner` may not have one more socket reserving `buffers`.
  bool at_socket_limit(std::uint64_t owner, std::size_t buffers, std::uint32_t& error) const;
  // Buffer reservations against max_buffer_per_client (buffer_budget.cpp).
  std::size_t buffer_reservation(const IpcSocket& socket) const;
  std::size_t new_socket_reservation(tapstack::ipc::SocketKind kind) const;
  // Recomputes the socket's reservation after an option change; false (and nothing changed)
  // when its owner's total would exceed the budget.
  bool update_reservation(IpcSocket& socket);
  void wake();
  // admin_requests.cpp
  tapstack::ipc::Reply admin(ControlSession& session, const tapstack::ipc::AdminRequest& request);

  boost::asio::io_context& io_;
  TcpLayer& tcp_;
  UdpLayer& udp_;
  IpcServerSettings settings_;
  IpcLog log_;
  AdminHandler admin_;
  IpcStats stats_;
  std::unique_ptr<boost::asio::posix::stream_descriptor> listener_;
  bool listener_ready_ = false;
  std::uint64_t next_session_id_ = 1;
  std::uint32_t next_socket_id_ = 1;
  std::uint16_t next_listen_port_ = 0;
  std::unordered_map<std::uint64_t, std::unique_ptr<ControlSession>> sessions_;
  std::unordered_map<std::uint32_t, std::unique_ptr<IpcSocket>> sockets_;
  std::unordered_map<std::uint64_t, std::uint32_t> by_handle_;      // TCP SocketHandle -> id
  std::unordered_map<std::uint64_t, std::uint32_t> by_udp_handle_;  // UDP SocketHandle -> id
  std::unordered_map<tapstack::ipc::FileIdentity, std::uint32_t, tapstack::ipc::FileIdentityHash>
      by_fd_;  // the client end's inode -> socket id
  std::vector<std::uint64_t> ready_sessions_;
  std::vector<std::uint32_t> ready_sockets_;
  std::vector<std::uint32_t> waiting_listeners_;  // stopped accepting at a socket limit
  std::vector<std::byte> scratch_;                // data pumps, one for all sockets
  std::vector<std::byte> control_buffer_;         // one received control packet
  bool woken_ = false;
};

}  // namespace tapstack::daemon::ipc
