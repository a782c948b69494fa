#include "daemon/ipc/requests.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <vector>

#include "daemon/ipc/socket_options.hpp"
#include "ipc/errno_map.hpp"

namespace tapstack::daemon::ipc {

namespace ipc = tapstack::ipc;
using ipc::MessageType;
using ipc::to_errno;

namespace {

constexpr int kListenPortAttempts = 128;

std::uint8_t linux_state(TcpState state) {
  switch (state) {  // include/net/tcp_states.h
    case TcpState::established:
      return 1;
    case TcpState::syn_sent:
      return 2;
    case TcpState::syn_received:
      return 3;
    case TcpState::fin_wait_1:
      return 4;
    case TcpState::fin_wait_2:
      return 5;
    case TcpState::time_wait:
      return 6;
    case TcpState::closed:
      return 7;
    case TcpState::close_wait:
      return 8;
    case TcpState::last_ack:
      return 9;
    case TcpState::listen:
      return 10;
    case TcpState::closing:
      return 11;
  }
  return 7;
}

std::uint32_t micros(Duration d) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  return static_cast<std::uint32_t>(std::clamp<std::int64_t>(us, 0, UINT32_MAX));
}

std::uint32_t clamp32(std::size_t v) {
  return static_cast<std::uint32_t>(std::min<std::size_t>(v, UINT32_MAX));
}

ipc::TcpInfo tcp_info_of(const TcpConnectionInfo& c) {
  ipc::TcpInfo info;
  info.state = linux_state(c.state);
  info.options = static_cast<std::uint8_t>((c.timestamps ? 1 : 0) | (c.sack ? 2 : 0) |
                                           (c.snd_wscale != 0 || c.rcv_wscale != 0 ? 4 : 0));
  info.snd_wscale = c.snd_wscale;
  info.rcv_wscale = c.rcv_wscale;
  info.rto_us = micros(c.rto);
  info.snd_mss = c.smss;
  // Linux keeps a sampled srtt_us at least 1 (tcp_rtt_estimator); ours, from millisecond
  // timestamps (RFC 7323 §4), is 0 for a sub-millisecond path.
  info.rtt_us = c.srtt ? std::max<std::uint32_t>(micros(*c.srtt), 1) : 0;
  info.rttvar_us = micros(c.rttvar);
  const std::uint32_t mss = std::max<std::uint32_t>(c.smss, 1);
  info.snd_cwnd = c.cwnd / mss;
  info.snd_ssthresh = c.ssthresh / mss;
  info.total_retrans = c.retransmits;
  info.snd_wnd = c.snd_wnd;
  info.rcv_wnd = c.rcv_wnd;
  info.unacked_bytes = clamp32(c.send_queue);
  info.unread_bytes = clamp32(c.receive_queue);
  info.congestion = c.congestion == CongestionAlgorithm::cubic ? 1 : 2;
  return info;
}

bool overlaps(Ipv4Addr a, Ipv4Addr b) {
  return a.is_unspecified() || b.is_unspecified() || a == b;
}

}  // namespace

Result<Outcome, std::string> RequestHandler::handle(Incoming& incoming) {
  const ipc::Body& body = incoming.message.body;
  type_ = ipc::type_of(body);
  if (std::holds_alternative<ipc::Reply>(body) || std::holds_alternative<ipc::Event>(body)) {
    return unexpected(std::string{"sent a daemon-to-client message type"});
  }
  if (const auto* hello_request = std::get_if<ipc::Hello>(&body)) {
    if (session_.hello_done) return unexpected(std::string{"second hello"});
    return hello(*hello_request);
  }
  if (!session_.hello_done) return unexpected(std::string{"request before hello"});
  if (const auto* socket_request = std::get_if<ipc::SocketRequest>(&body)) {
    return create_socket(*socket_request);
  }
  if (const auto* admin = std::get_if<ipc::AdminRequest>(&body)) {
    return Outcome{server_.admin(session_, *admin), {}, false};
  }
  // Every other request names a socket by id and carries its fd: both must agree.
  const std::uint32_t id = std::visit(
      [](const auto& b) -> std::uint32_t {
        if constexpr (requires { b.socket_id; }) {
          return b.socket_id;
        } else {
          return 0;
        }
      },
      body);
  // Id 0: the socket whose data channel the fd is (a shim after exec knows only its fds).
  const auto identity = ipc::identity_of(incoming.fd.get());
  IpcSocket* socket = id != 0    ? server_.find_socket(id)
                      : identity ? server_.find_socket_by_fd(*identity)
                                 : nullptr;
  if (socket == nullptr || !identity || *identity != socket->channel.client_identity()) {
    ++server_.stats_.requests_refused_bad_fd;
    return Outcome{Reply{type_, EBADF, ipc::Empty{}}, {}, false};
  }
  return Outcome{on_socket(*socket, body), {}, false};
}

Outcome RequestHandler::hello(const ipc::Hello& request) {
  if (request.min_version > ipc::kVersion || request.max_version < ipc::kVersion) {
    return Outcome{Reply{type_, EPROTONOSUPPORT, ipc::Empty{}}, {}, true};
  }
  session_.hello_done = true;
  const auto max_sockets = static_cast<std::uint32_t>(
      std::min<std::size_t>(server_.settings_.max_sockets_per_client, UINT32_MAX));
  return Outcome{Reply{type_, 0, ipc::HelloReply{ipc::kVersion, max_sockets}}, {}, false};
}

Outcome RequestHandler::create_socket(const ipc::SocketRequest& request) {
  const auto fail = [&](std::uint32_t error) {
    return Outcome{Reply{type_, error, ipc::Empty{}}, {}, false};
  };
  if (request.kind == ipc::SocketKind::udp) return create_udp_socket();
  std::uint32_t error = 0;
  if (at_socket_limit(ipc::SocketKind::tcp, error)) return fail(error);
  auto channel = make_channel(server_.io_, SOCK_STREAM, true);
  if (!channel) return fail(static_cast<std::uint32_t>(channel.error()));
  IpcSocket& socket =
      server_.add_socket(session_.id(), ipc::SocketKind::tcp, std::move(channel->first));
  server_.mark_ready(socket.id);  // starts watching for the program's last close
  return Outcome{Reply{type_, 0, ipc::SocketCreated{socket.id}}, std::move(channel->second), false};
}

RequestHandler::Reply RequestHandler::on_socket(IpcSocket& socket, const ipc::Body& body) {
  // Privileged ports, as Linux's ip_unprivileged_port_start: the caller's uid is all the daemon
  // knows of its privileges (SO_PEERCRED), so root may, others get EACCES.
  if (const auto* r = std::get_if<ipc::BindRequest>(&body);
      r != nullptr && r->local.port != 0 &&
      r->local.port < server_.settings_.unprivileged_port_start &&
      session_.credentials().uid != 0) {
    return Reply{type_, EACCES, ipc::Empty{}};
  }
  if (socket.is_udp()) return on_udp_socket(socket, body);
  if (const auto* r = std::get_if<ipc::BindRequest>(&body)) return bind(socket, r->local);
  if (const auto* r = std::get_if<ipc::ListenRequest>(&body)) return listen(socket, r->backlog);
  if (const auto* r = std::get_if<ipc::ConnectRequest>(&body)) return connect(socket, r->remote);
  if (const auto* r = std::get_if<ipc::ShutdownRequest>(&body)) return shutdown(socket, r->how);
  if (const auto* r = std::get_if<ipc::SetOptionRequest>(&body)) return set_option(socket, *r);
  if (const auto* r = std::get_if<ipc::GetOptionRequest>(&body)) {
    auto value = get_option(socket, r->option, server_.settings_.tcp);
    if (!value) return Reply{type_, value.error(), ipc::Empty{}};
    return Reply{type_, 0, ipc::OptionReply{std::move(*value)}};
  }
  if (std::holds_alternative<ipc::CloseRequest>(body)) {
    server_.close_socket(socket, now_);
    return Reply{type_, 0, ipc::Empty{}};
  }
  return query(socket, type_);
}

bool RequestHandler::bind_conflict(const IpcSocket& socket, SocketAddress local) const {
  for (const auto& [id, other] : server_.sockets_) {
    if (other.get() == &socket || !other->bound || other->bound->port != local.port) continue;
    if (!overlaps(other->bound->address, local.address)) continue;
    // SO_REUSEADDR on both lets a socket bind beside one that is not listening (as Linux).
    const bool reusable =
        socket.reuse_address && other->reuse_address && other->phase != Phase::listening;
    if (!reusable) return true;
  }
  return false;
}

// close(2) frees a listener's port at once on Linux, and programs bind it again right away:
// iperf3's server closes its listener after every test and listens anew. The daemon learns of a
// close when it next serves the channel, which may come after this request; so before refusing a
// bind it closes the TCP sockets on the port whose every fd is closed already (POLLHUP on the
// channel), as its loop would. Only listeners and unused sockets: a connected socket's channel
// may still hold bytes the program wrote before closing, which the loop sends first.
void RequestHandler::close_released_sockets(std::uint16_t port) {
  close_released_sockets_if([port](const IpcSocket& other) {
    return !other.is_udp() && other.bound && other.bound->port == port;
  });
}

template <typename Predicate>
void RequestHandler::close_released_sockets_if(Predicate matches) {
  std::vector<std::uint32_t> released;
  for (const auto& [id, other] : server_.sockets_) {
    const bool unused_or_listening =
        other->phase == Phase::fresh || other->phase == Phase::listening;
    if (unused_or_listening && matches(*other) && other->channel.hung_up()) {
      released.push_back(id);
    }
  }
  for (const std::uint32_t id : released) {
    if (IpcSocket* other = server_.find_socket(id)) server_.close_socket(*other, now_);
  }
}

// Likewise close(2) frees a descriptor at once: a program that closed sockets and opens new ones
// must not meet EMFILE or ENOBUFS because the loop has not served those closes yet. Before
// refusing, the client's unused sockets and listeners whose fds are all closed are closed.
bool RequestHandler::at_socket_limit(ipc::SocketKind kind, std::uint32_t& error) {
  const std::size_t buffers = server_.new_socket_reservation(kind);
  if (!server_.at_socket_limit(session_.id(), buffers, error)) return false;
  if (error == ENFILE) return true;
  close_released_sockets_if(
      // Not UDP sockets: their channels may still hold datagrams sent before the close.
      [owner = session_.id()](const IpcSocket& other) {
        return !other.is_udp() && other.owner == owner;
      });
  return server_.at_socket_limit(session_.id(), buffers, error);
}

RequestHandler::Reply RequestHandler::bind(IpcSocket& socket, SocketAddress local) {
  if (socket.phase != Phase::fresh || socket.bound) return Reply{type_, EINVAL, ipc::Empty{}};
  if (local.address.is_multicast() || local.address.is_broadcast()) {
    return Reply{type_, EADDRNOTAVAIL, ipc::Empty{}};
  }
  if (local.port != 0 && bind_conflict(socket, local)) {
    close_released_sockets(local.port);
    if (bind_conflict(socket, local)) return Reply{type_, EADDRINUSE, ipc::Empty{}};
  }
  socket.bound = local;
  return Reply{type_, 0, ipc::Empty{}};
}

// An unbound listener, or one bound to port 0, gets a free port as Linux's autobind does.
Result<SocketHandle, SocketError> RequestHandler::listen_on(IpcSocket& socket, SocketAddress local,
                                                            std::uint32_t backlog) {
  TcpLayer& tcp = server_.tcp_;
  if (local.port != 0) return tcp.listen(local, backlog, socket.options);
  const TcpSettings& s = server_.settings_.tcp;
  for (int attempt = 0; attempt < kListenPortAttempts; ++attempt) {
    std::uint16_t& next = server_.next_listen_port_;
    if (next < s.ephemeral_first || next > s.ephemeral_last) next = s.ephemeral_first;
    local.port = next++;
    if (bind_conflict(socket, local)) continue;
    auto handle = tcp.listen(local, backlog, socket.options);
    if (handle || handle.error() != SocketError::address_in_use) return handle;
  }
  return unexpected(SocketError::address_in_use);
}

RequestHandler::Reply RequestHandler::listen(IpcSocket& socket, std::uint32_t backlog) {
  if (socket.phase == Phase::listening) return Reply{type_, 0, ipc::Empty{}};
  if (socket.phase != Phase::fresh) return Reply{type_, EINVAL, ipc::Empty{}};
  const auto handle = listen_on(socket, socket.bound.value_or(SocketAddress{}), backlog);
  if (!handle) return Reply{type_, to_errno(handle.error()), ipc::Empty{}};
  socket.phase = Phase::listening;
  socket.bound = server_.tcp_.local_address(*handle);
  server_.bind_handle(socket, *handle);
  socket.channel.discard_filler(server_.scratch_);
  server_.mark_ready(socket.id);
  return Reply{type_, 0, ipc::Empty{}};
}

RequestHandler::Reply RequestHandler::connect(IpcSocket& socket, SocketAddress remote) {
  switch (socket.phase) {
    case Phase::connecting:
      return Reply{type_, EALREADY, ipc::Empty{}};
    case Phase::connected:
      return Reply{type_, EISCONN, ipc::Empty{}};
    case Phase::listening:
    case Phase::failed:
      return Reply{type_, EINVAL, ipc::Empty{}};
    case Phase::fresh:
      break;
  }
  const auto handle =
      server_.tcp_.connect(socket.bound.value_or(SocketAddress{}), remote, socket.options, now_);
  if (!handle) return Reply{type_, to_errno(handle.error()), ipc::Empty{}};
  socket.phase = Phase::connecting;
  socket.peer = remote;
  socket.bound = server_.tcp_.local_address(*handle);
  server_.bind_handle(socket, *handle);
  return Reply{type_, 0, ipc::Empty{}};
}

// SHUT_WR is done by the client on its fd, in order with its data (PROTOCOL.md §3.1); here
// only the state is checked and SHUT_RD applied: the program reads EOF, later data is dropped.
RequestHandler::Reply RequestHandler::shutdown(IpcSocket& socket, ipc::ShutdownHow how) {
  if (socket.phase != Phase::connected) return Reply{type_, ENOTCONN, ipc::Empty{}};
  if (how != ipc::ShutdownHow::write) {
    socket.read_shut = true;
    socket.channel.shut_write();
    server_.mark_ready(socket.id);
  }
  return Reply{type_, 0, ipc::Empty{}};
}

RequestHandler::Reply RequestHandler::set_option(IpcSocket& socket,
                                                 const ipc::SetOptionRequest& request) {
  const TcpSocketOptions before = socket.options;
  const std::uint32_t error =
      daemon::ipc::set_option(socket, request.option, request.value, server_.settings_.tcp);
  if (error != 0) return Reply{type_, error, ipc::Empty{}};
  if (!server_.update_reservation(socket)) {  // a larger SO_SNDBUF/SO_RCVBUF over the budget
    socket.options = before;
    return Reply{type_, ENOBUFS, ipc::Empty{}};
  }
  if (socket.handle) {
    const auto applied = server_.tcp_.set_options(*socket.handle, socket.options, now_);
    if (!applied) return Reply{type_, to_errno(applied.error()), ipc::Empty{}};
  }
  return Reply{type_, 0, ipc::Empty{}};
}

RequestHandler::Reply RequestHandler::query(IpcSocket& socket, MessageType type) {
  TcpLayer& tcp = server_.tcp_;
  switch (type) {
    case MessageType::getsockname: {
      std::optional<SocketAddress> local;
      if (socket.handle) local = tcp.local_address(*socket.handle);
      return Reply{type_, 0,
                   ipc::AddressReply{local.value_or(socket.bound.value_or(SocketAddress{}))}};
    }
    case MessageType::getpeername:
      if (socket.phase != Phase::connected || !socket.peer) {
        return Reply{type_, ENOTCONN, ipc::Empty{}};
      }
      return Reply{type_, 0, ipc::AddressReply{*socket.peer}};
    case MessageType::get_error:
      return Reply{type_, 0, ipc::ErrorReply{std::exchange(socket.pending_error, 0)}};
    case MessageType::tcp_info: {
      ipc::TcpInfo info;
      info.state = socket.phase == Phase::listening ? 10 : 7;
      const TcpConnection* connection = socket.handle ? tcp.connection(*socket.handle) : nullptr;
      if (connection != nullptr) info = tcp_info_of(connection->info());
      return Reply{type_, 0, info};
    }
    default:
      return Reply{type_, EINVAL, ipc::Empty{}};
  }
}

}  // namespace tapstack::daemon::ipc
