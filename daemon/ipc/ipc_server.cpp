#include "daemon/ipc/ipc_server.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <cassert>
#include <cerrno>

#include "daemon/ipc/requests.hpp"
#include "ipc/errno_map.hpp"

namespace tapstack::daemon::ipc {

namespace asio = boost::asio;
using asio::posix::descriptor_base;
using config::LogLevel;
using tapstack::ipc::EventKind;
using tapstack::ipc::kMaxMessageSize;
using tapstack::ipc::to_errno;

namespace {

constexpr std::size_t kScratchSize = 64 * 1024;

std::uint64_t handle_key(SocketHandle handle) {
  return (std::uint64_t{handle.index} << 32) | handle.generation;
}

bool aborted(const boost::system::error_code& error) {
  return error == asio::error::operation_aborted;
}

}  // namespace

IpcServer::IpcServer(asio::io_context& io, TcpLayer& tcp, UdpLayer& udp, IpcServerSettings settings,
                     IpcLog log)
    : io_(io),
      tcp_(tcp),
      udp_(udp),
      settings_(std::move(settings)),
      log_(std::move(log)),
      next_listen_port_(settings_.tcp.ephemeral_first),
      scratch_(kScratchSize),
      control_buffer_(kMaxMessageSize + 1) {}

IpcServer::~IpcServer() = default;

Result<void, std::string> IpcServer::start() {
  auto fd = open_unix_listener(settings_.socket_path, settings_.group);
  if (!fd) return unexpected(fd.error());
  listener_ = std::make_unique<asio::posix::stream_descriptor>(io_, fd->release());
  wait_for_clients();
  log_(LogLevel::info, "ipc: listening on " + settings_.socket_path);
  return {};
}

void IpcServer::stop(Instant now) {
  if (listener_) ::unlink(settings_.socket_path.c_str());  // no stale socket for the next start
  listener_.reset();
  while (!sockets_.empty()) close_socket(*sockets_.begin()->second, now);
  sessions_.clear();
}

void IpcServer::wake() {
  if (woken_) return;
  woken_ = true;
  asio::post(io_, [] {});  // run_one() returns: the loop turns and calls service() again
}

void IpcServer::service(Instant now) {
  woken_ = false;
  if (listener_ready_) accept_clients();
  for (const std::uint64_t id : std::exchange(ready_sessions_, {})) {
    const auto it = sessions_.find(id);
    if (it == sessions_.end()) continue;
    ControlSession& session = *it->second;
    if (!session.flush()) {
      close_session(id, "control socket failed", false);
      continue;
    }
    if (!session.outbox_empty()) arm_session_write(session);
    if (session.readable) serve_session(session, now);
  }
  for (const std::uint32_t id : std::exchange(ready_sockets_, {})) {
    if (IpcSocket* socket = find_socket(id)) {
      socket->queued = false;
      serve_socket(*socket, now);
    }
  }
}

// ---- control connections ----

void IpcServer::wait_for_clients() {
  listener_->async_wait(descriptor_base::wait_read, [this](const boost::system::error_code& e) {
    if (aborted(e) || !listener_) return;
    listener_ready_ = true;
  });
}

void IpcServer::accept_clients() {
  listener_ready_ = false;
  while (auto client = accept_client(listener_->native_handle())) {
    if (sessions_.size() >= settings_.max_clients) {
      ++stats_.clients_rejected;
      log_(LogLevel::warn,
           "ipc: client limit reached, refusing pid=" + std::to_string(client->credentials.pid));
      continue;  // closing the fd ends the connection
    }
    const std::uint64_t id = next_session_id_++;
    auto session = std::make_unique<ControlSession>(io_, std::move(*client), id);
    log_(LogLevel::debug, "ipc: client " + session->describe() + " connected");
    ++stats_.clients_accepted;
    arm_session_read(*session);
    sessions_.emplace(id, std::move(session));
  }
  wait_for_clients();
}

void IpcServer::arm_session_read(ControlSession& session) {
  if (session.waiting_read) return;
  session.waiting_read = true;
  session.async_wait(descriptor_base::wait_read,
                     [this, id = session.id()](const boost::system::error_code& e) {
                       if (aborted(e)) return;
                       const auto it = sessions_.find(id);
                       if (it == sessions_.end()) return;
                       it->second->waiting_read = false;
                       it->second->readable = true;
                       ready_sessions_.push_back(id);
                     });
}

void IpcServer::arm_session_write(ControlSession& session) {
  if (session.waiting_write) return;
  session.waiting_write = true;
  session.async_wait(descriptor_base::wait_write,
                     [this, id = session.id()](const boost::system::error_code& e) {
                       if (aborted(e)) return;
                       const auto it = sessions_.find(id);
                       if (it == sessions_.end()) return;
                       it->second->waiting_write = false;
                       ready_sessions_.push_back(id);
                     });
}

void IpcServer::serve_session(ControlSession& session, Instant now) {
  const std::uint64_t id = session.id();
  for (std::size_t i = 0; i < settings_.requests_per_turn; ++i) {
    auto incoming = session.receive(control_buffer_);
    if (!incoming) {
      close_session(id, incoming.error(), incoming.error() != "closed the connection");
      return;
    }
    if (!incoming->has_value()) {
      session.readable = false;
      arm_session_read(session);
      return;
    }
    RequestHandler handler{*this, session, now};
    auto outcome = handler.handle(**incoming);
    if (!outcome) {
      close_session(id, outcome.error(), true);
      return;
    }
    const bool refused = outcome->close_after;
    tapstack::ipc::Message reply{(*incoming)->message.request_id, outcome->fd.valid(),
                                 std::move(outcome->reply)};
    if (!session.send_reply(reply, std::move(outcome->fd))) {
      const bool overflow = session.outbox_full();
      close_session(id, overflow ? "not reading its replies" : "control socket failed", overflow);
      return;
    }
    if (refused) {
      close_session(id, "unsupported protocol version", true);
      return;
    }
    if (!session.outbox_empty()) arm_session_write(session);
  }
  ready_sessions_.push_back(id);  // more may be waiting: next turn, after the others
  wake();
}

void IpcServer::close_session(std::uint64_t id, std::string_view reason, bool protocol_error) {
  const auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  const std::string line = "ipc: client " + it->second->describe() + ": " + std::string{reason};
  if (protocol_error) {
    ++stats_.clients_dropped;
    log_(LogLevel::warn, line);
  } else {
    log_(LogLevel::debug, line);
  }
  // Sockets live as long as their data channels (PROTOCOL.md §3.1, §4): they only lose their
  // owner. A process that died has closed its channels too, which closes its sockets.
  for (auto& [socket_id, socket] : sockets_) {
    if (socket->owner == id) socket->owner = 0;
  }
  sessions_.erase(it);
}

void IpcServer::send_event(IpcSocket& socket, EventKind what, std::uint32_t error) {
  const auto it = sessions_.find(socket.owner);
  if (it == sessions_.end()) return;
  const tapstack::ipc::Message event{0, false, tapstack::ipc::Event{socket.id, what, error}};
  if (!it->second->send_event(event)) ++stats_.events_dropped;
}

// ---- sockets ----

IpcSocket* IpcServer::find_socket(std::uint32_t id) {
  const auto it = sockets_.find(id);
  return it == sockets_.end() ? nullptr : it->second.get();
}

bool IpcServer::at_socket_limit(std::uint64_t owner, std::size_t buffers,
                                std::uint32_t& error) const {
  if (sockets_.size() >= settings_.max_sockets) {
    error = ENFILE;
    return true;
  }
  const auto it = sessions_.find(owner);
  if (it == sessions_.end()) return false;
  if (it->second->socket_count >= settings_.max_sockets_per_client) {
    error = EMFILE;
    return true;
  }
  // As socket(2)'s ENOBUFS: the memory the socket could take is not available to this client.
  if (it->second->buffer_reserved + buffers > settings_.max_buffer_per_client) {
    error = ENOBUFS;
    return true;
  }
  return false;
}

IpcSocket* IpcServer::find_socket_by_fd(const tapstack::ipc::FileIdentity& client_end) {
  const auto it = by_fd_.find(client_end);
  return it == by_fd_.end() ? nullptr : find_socket(it->second);
}

IpcSocket& IpcServer::add_socket(std::uint64_t owner, tapstack::ipc::SocketKind kind,
                                 DataChannel channel) {
  while (next_socket_id_ == 0 || sockets_.contains(next_socket_id_)) ++next_socket_id_;
  const std::uint32_t id = next_socket_id_++;
  auto socket = std::make_unique<IpcSocket>(id, owner, kind, std::move(channel));
  IpcSocket& added = *socket;
  if (const auto it = sessions_.find(owner); it != sessions_.end()) {
    added.creator = it->second->shared_credentials();
  }
  by_fd_[added.channel.client_identity()] = id;
  sockets_.emplace(id, std::move(socket));
  added.reserved_buffer = buffer_reservation(added);
  if (const auto it = sessions_.find(owner); it != sessions_.end()) {
    ++it->second->socket_count;
    it->second->buffer_reserved += added.reserved_buffer;
  }
  ++stats_.sockets_created;
  return added;
}

void IpcServer::bind_handle(IpcSocket& socket, SocketHandle handle) {
  socket.handle = handle;
  (socket.is_udp() ? by_udp_handle_ : by_handle_)[handle_key(handle)] = socket.id;
}

void IpcServer::close_socket(IpcSocket& socket, Instant now) {
  if (socket.handle && socket.is_udp()) {
    by_udp_handle_.erase(handle_key(*socket.handle));
    udp_.close(*socket.handle);
  } else if (socket.handle) {
    by_handle_.erase(handle_key(*socket.handle));
    // SO_LINGER on with 0 s, or the program closed with received bytes unread: reset instead
    // of the graceful close (as Linux).
    if (socket.linger_seconds == 0 || socket.channel.closed_with_unread_data()) {
      tcp_.abort(*socket.handle, now);
    } else {
      tcp_.close(*socket.handle, now);
    }
  }
  if (const auto it = sessions_.find(socket.owner); it != sessions_.end()) {
    --it->second->socket_count;
    it->second->buffer_reserved -= socket.reserved_buffer;
  }
  ++stats_.sockets_closed;
  by_fd_.erase(socket.channel.client_identity());
  sockets_.erase(socket.id);  // closes the channel and cancels its waits
  // A listener that stopped at a socket limit may accept again.
  for (const std::uint32_t id : std::exchange(waiting_listeners_, {})) {
    if (IpcSocket* listener = find_socket(id)) {
      listener->accept_waiting = false;
      mark_ready(id);
    }
  }
}

void IpcServer::mark_ready(std::uint32_t id) {
  IpcSocket* socket = find_socket(id);
  if (socket == nullptr || socket->queued) return;
  socket->queued = true;
  ready_sockets_.push_back(id);
  wake();
}

void IpcServer::arm_channel(IpcSocket& socket, descriptor_base::wait_type type) {
  DataChannel& channel = socket.channel;
  bool& waiting = type == descriptor_base::wait_read    ? channel.waiting_read
                  : type == descriptor_base::wait_write ? channel.waiting_write
                                                        : channel.waiting_hangup;
  if (waiting) return;
  waiting = true;
  channel.async_wait(type, [this, id = socket.id, type](const boost::system::error_code& e) {
    if (aborted(e)) return;
    IpcSocket* found = find_socket(id);
    if (found == nullptr) return;
    DataChannel& c = found->channel;
    (type == descriptor_base::wait_read    ? c.waiting_read
     : type == descriptor_base::wait_write ? c.waiting_write
                                           : c.waiting_hangup) = false;
    if (!found->queued) {
      found->queued = true;
      ready_sockets_.push_back(id);
    }
  });
}

void IpcServer::serve_socket(IpcSocket& socket, Instant now) {
  if (socket.is_udp()) return serve_udp_socket(socket, now);
  // After the program's EOF only its last close is news.
  if (socket.channel.read_eof && socket.channel.hung_up()) return close_socket(socket, now);
  switch (socket.phase) {
    case Phase::fresh:
    case Phase::connecting:
      // The filler sits in the channel: only a hang-up is news.
      if (socket.channel.hung_up()) return close_socket(socket, now);
      return arm_channel(socket, descriptor_base::wait_error);
    case Phase::listening:
    case Phase::failed:
      switch (socket.channel.drain(scratch_)) {
        case Pump::channel_hung_up:
          return close_socket(socket, now);
        case Pump::channel_empty:
          arm_channel(socket, descriptor_base::wait_read);
          break;
        case Pump::budget_spent:
          mark_ready(socket.id);
          break;
        default:
          arm_channel(socket, descriptor_base::wait_error);
          break;
      }
      if (socket.phase == Phase::listening) accept_connections(socket, now);
      return;
    case Phase::connected:
      pump_out(socket, now);
      if (IpcSocket* still = find_socket(socket.id)) pump_in(*still, now);
      return;
  }
}

// UDP sockets: datagrams both ways until the program's last close.
void IpcServer::serve_udp_socket(IpcSocket& socket, Instant now) {
  DataChannel& channel = socket.channel;
  const Pump out =
      channel.from_udp(udp_, *socket.handle, scratch_, settings_.bytes_per_turn, socket.read_shut);
  if (out == Pump::channel_full) arm_channel(socket, descriptor_base::wait_write);
  const Pump in = channel.to_udp(udp_, *socket.handle, scratch_, settings_.bytes_per_turn, now);
  if (in == Pump::channel_hung_up || out == Pump::channel_hung_up) return close_socket(socket, now);
  if (in == Pump::budget_spent || out == Pump::budget_spent) mark_ready(socket.id);
  // Errors found on the way out wait for room in the channel.
  if (channel.unsent_error && out != Pump::channel_full) mark_ready(socket.id);
  if (in == Pump::channel_empty) arm_channel(socket, descriptor_base::wait_read);
  // Blocked by the stack or shut down for writing: only a hang-up is news.
  if (in != Pump::channel_empty) arm_channel(socket, descriptor_base::wait_error);
}

bool IpcServer::handle(const UdpSocketEvent& event, Instant now) {
  const auto it = by_udp_handle_.find(handle_key(event.socket));
  if (it == by_udp_handle_.end()) return false;
  IpcSocket* socket = find_socket(it->second);
  assert(socket != nullptr);
  if ((event.events & udp_event::writable) != 0) socket->channel.send_blocked = false;
  serve_socket(*socket, now);
  return true;
}

// Channel -> TCP. May close the socket.
void IpcServer::pump_in(IpcSocket& socket, Instant now) {
  if (!socket.handle) return;
  switch (socket.channel.to_tcp(tcp_, *socket.handle, scratch_, settings_.bytes_per_turn, now)) {
    case Pump::channel_empty:
      return arm_channel(socket, descriptor_base::wait_read);
    case Pump::budget_spent:
      return mark_ready(socket.id);
    case Pump::channel_eof:
      return on_channel_eof(socket, now);
    case Pump::channel_hung_up:
      return close_socket(socket, now);
    default:
      return;  // tcp_blocked: TCP's `writable` event resumes
  }
}

// TCP -> channel. May close the socket.
void IpcServer::pump_out(IpcSocket& socket, Instant now) {
  if (!socket.handle) return;
  const Pump pump = socket.channel.from_tcp(tcp_, *socket.handle, settings_.bytes_per_turn,
                                            socket.read_shut, now);
  switch (pump) {
    case Pump::channel_full:
      if (grow_channel(socket)) return mark_ready(socket.id);
      return arm_channel(socket, descriptor_base::wait_write);
    case Pump::budget_spent:
      return mark_ready(socket.id);
    case Pump::peer_fin:
      return send_event(socket, EventKind::peer_closed, 0);
    case Pump::tcp_error: {
      if (socket.pending_error != 0) return;  // already reported by the error event
      socket.pending_error = to_errno(socket.channel.tcp_failure.value());
      return send_event(socket, EventKind::error, socket.pending_error);
    }
    case Pump::channel_hung_up:
      if (socket.channel.hung_up()) return close_socket(socket, now);
      // The program shut down reading (EPIPE without a hang-up): drop what arrives.
      socket.read_shut = true;
      return mark_ready(socket.id);
    default:
      return;  // tcp_empty: TCP's `readable` event resumes
  }
}

// A full channel may grow to the TCP connection's receive buffer (DataChannel::grow_send_buffer),
// which autotuning raises while the program keeps up. True if it grew: pump again at once.
bool IpcServer::grow_channel(IpcSocket& socket) {
  const TcpConnection* connection = tcp_.connection(*socket.handle);
  if (connection == nullptr) return false;
  const TcpConnectionInfo info = connection->info();
  return socket.channel.grow_send_buffer(info.rcv_wnd + info.receive_queue);
}

// The program shut down writing: TCP sends its FIN after the queued data (RFC 9293 §3.10.4).
void IpcServer::on_channel_eof(IpcSocket& socket, Instant now) {
  if (socket.handle) tcp_.shutdown_send(*socket.handle, now);
  arm_channel(socket, descriptor_base::wait_error);
}

bool IpcServer::handle(const TcpSocketEvent& event, Instant now) {
  const auto it = by_handle_.find(handle_key(event.socket));
  if (it == by_handle_.end()) return false;
  IpcSocket* socket = find_socket(it->second);
  assert(socket != nullptr);
  if (socket->phase == Phase::listening) {
    if ((event.events & tcp_event::readable) != 0) accept_connections(*socket, now);
    return true;
  }
  if ((event.events & tcp_event::error) != 0) {
    if (const auto error = tcp_.take_error(event.socket)) {
      if (socket->phase == Phase::connecting) {
        on_connect_result(*socket, to_errno(*error));
        return true;
      }
      // Reset or timed out: the program reads EOF, then the error (as read(2) would return).
      socket->pending_error = to_errno(*error);
      socket->channel.shut_write();
      send_event(*socket, EventKind::error, socket->pending_error);
    }
  }
  if ((event.events & tcp_event::connected) != 0 && socket->phase == Phase::connecting) {
    socket->phase = Phase::connected;
    socket->channel.discard_filler(scratch_);  // the program's poll now sees POLLOUT
    send_event(*socket, EventKind::connected, 0);
  }
  if (socket->phase != Phase::connected) return true;
  if ((event.events & tcp_event::writable) != 0) socket->channel.send_blocked = false;
  serve_socket(*socket, now);
  return true;
}

// PROTOCOL.md §3.2: a failed connect makes the channel writable and readable (EOF); the
// program learns the error from SO_ERROR.
void IpcServer::on_connect_result(IpcSocket& socket, std::uint32_t error) {
  socket.phase = Phase::failed;
  socket.pending_error = error;
  socket.channel.discard_filler(scratch_);
  socket.channel.shut_write();
  send_event(socket, EventKind::error, error);
  mark_ready(socket.id);
}

void IpcServer::accept_connections(IpcSocket& listener, Instant now) {
  while (deliver_accepted(listener)) {
    std::uint32_t error = 0;
    // The connection inherits the listener's options, so its buffers too.
    if (at_socket_limit(listener.owner, buffer_reservation(listener), error)) {
      // The connections wait in TCP's accept queue until a socket closes.
      if (!listener.accept_waiting) waiting_listeners_.push_back(listener.id);
      listener.accept_waiting = true;
      return;
    }
    const auto child = tcp_.accept(*listener.handle);
    if (!child) return;
    auto channel = make_channel(io_, SOCK_STREAM, false);
    if (!channel) {
      log_(LogLevel::warn, "ipc: socketpair for an accepted connection failed, resetting it");
      tcp_.abort(*child, now);
      return;
    }
    IpcSocket& socket =
        add_socket(listener.owner, tapstack::ipc::SocketKind::tcp, std::move(channel->first));
    socket.phase = Phase::connected;
    bind_handle(socket, *child);
    const FourTuple& tuple = tcp_.connection(*child)->tuple();
    socket.bound = SocketAddress{tuple.local_addr, tuple.local_port};
    socket.peer = SocketAddress{tuple.remote_addr, tuple.remote_port};
    socket.options = listener.options;
    [[maybe_unused]] const bool reserved = update_reservation(socket);  // checked just above
    assert(reserved);
    // Linux's accept copies the listener's socket, SO_REUSEADDR included: a server may then
    // listen on its port again while its connections live (iperf3 between tests).
    socket.reuse_address = listener.reuse_address;
    listener.unsent_accept.emplace(std::move(channel->second), socket.id);
    ++stats_.connections_accepted;
  }
}

// Writes the pending accept record, if any, to the listener's channel. False while it waits.
bool IpcServer::deliver_accepted(IpcSocket& listener) {
  if (!listener.unsent_accept) return true;
  auto& [client_end, child_id] = *listener.unsent_accept;
  IpcSocket* child = find_socket(child_id);
  if (child == nullptr) {
    listener.unsent_accept.reset();
    return true;
  }
  const auto record = tapstack::ipc::encode(
      tapstack::ipc::AcceptRecord{child->id, child->bound.value(), child->peer.value()});
  const auto sent =
      tapstack::ipc::send_with_fd(listener.channel.fd(), record, client_end.get(), MSG_DONTWAIT);
  if (!sent && (sent.error() == EAGAIN || sent.error() == EWOULDBLOCK)) {
    arm_channel(listener, descriptor_base::wait_write);
    return false;
  }
  // Sent, or the listener's channel is gone (its hang-up closes it): either way our copy of
  // the client end goes; if it was never delivered, the child sees a hang-up and closes.
  listener.unsent_accept.reset();
  return sent.has_value();
}

}  // namespace tapstack::daemon::ipc
