// Control requests on UDP sockets (ipc/PROTOCOL.md §5): the UdpLayer does the work; this file
// maps requests and options onto it with the errno values Linux gives for a SOCK_DGRAM socket.
#include <sys/socket.h>

#include <algorithm>
#include <cassert>
#include <cerrno>

#include "daemon/ipc/requests.hpp"
#include "ipc/errno_map.hpp"
#include "stack/wire/bytes.hpp"

namespace tapstack::daemon::ipc {

namespace ipc = tapstack::ipc;
using ipc::MessageType;
using ipc::SocketOption;
using ipc::to_errno;

namespace {

constexpr std::size_t kMinBuffer = 4608;  // Linux's SOCK_MIN_RCVBUF, roughly

ipc::OptionValue encode_i32(std::int32_t v) {
  ipc::OptionValue out(4);
  wire::store32(out, 0, static_cast<std::uint32_t>(v));
  return out;
}

std::int32_t clamp_i32(std::size_t v) {
  return static_cast<std::int32_t>(std::min<std::size_t>(v, INT32_MAX));
}

// Linux doubles the requested size and reports the doubled value (socket(7) SO_RCVBUF).
std::size_t doubled_buffer(std::int32_t requested, std::size_t max) {
  const auto want = static_cast<std::size_t>(std::max(requested, 0)) * 2;
  return std::clamp(want, kMinBuffer, std::max(max, kMinBuffer));
}

bool is_disconnect(SocketAddress remote) {
  return remote.address.is_unspecified() && remote.port == 0;
}

}  // namespace

Outcome RequestHandler::create_udp_socket() {
  const auto fail = [&](std::uint32_t error) {
    return Outcome{Reply{type_, error, ipc::Empty{}}, {}, false};
  };
  std::uint32_t error = 0;
  if (at_socket_limit(ipc::SocketKind::udp, error)) return fail(error);
  const auto handle = server_.udp_.open(UdpSocketOptions{});
  if (!handle) return fail(to_errno(handle.error()));
  auto channel = make_channel(server_.io_, SOCK_SEQPACKET, false);
  if (!channel) {
    server_.udp_.close(*handle);
    return fail(static_cast<std::uint32_t>(channel.error()));
  }
  IpcSocket& socket =
      server_.add_socket(session_.id(), ipc::SocketKind::udp, std::move(channel->first));
  server_.bind_handle(socket, *handle);
  server_.mark_ready(socket.id);  // starts pumping and watching for the program's last close
  return Outcome{Reply{type_, 0, ipc::SocketCreated{socket.id}}, std::move(channel->second), false};
}

RequestHandler::Reply RequestHandler::on_udp_socket(IpcSocket& socket, const ipc::Body& body) {
  UdpLayer& udp = server_.udp_;
  const SocketHandle handle = socket.handle.value();
  const auto result = [&](const Result<void, SocketError>& r) {
    return Reply{type_, r ? 0 : to_errno(r.error()), ipc::Empty{}};
  };
  if (const auto* r = std::get_if<ipc::BindRequest>(&body))
    return result(udp.bind(handle, r->local));
  if (const auto* r = std::get_if<ipc::ConnectRequest>(&body)) {
    // connect(AF_UNSPEC) reaches us as 0.0.0.0:0: dissolve the association (udp(7)).
    const bool disconnect = is_disconnect(r->remote);
    const auto done = disconnect ? udp.disconnect(handle) : udp.connect(handle, r->remote);
    if (done) socket.phase = disconnect ? Phase::fresh : Phase::connected;
    return result(done);
  }
  if (const auto* r = std::get_if<ipc::ShutdownRequest>(&body)) {
    if (socket.phase != Phase::connected) return Reply{type_, ENOTCONN, ipc::Empty{}};
    if (r->how != ipc::ShutdownHow::write) {
      socket.read_shut = true;      // udp(7): later datagrams are dropped
      socket.channel.shut_write();  // and recv() returns 0 once the queue is empty
    }
    return Reply{type_, 0, ipc::Empty{}};
  }
  if (const auto* r = std::get_if<ipc::SetOptionRequest>(&body)) {
    return Reply{type_, set_udp_option(socket, *r), ipc::Empty{}};
  }
  if (const auto* r = std::get_if<ipc::GetOptionRequest>(&body)) {
    auto value = get_udp_option(socket, r->option);
    if (!value) return Reply{type_, value.error(), ipc::Empty{}};
    return Reply{type_, 0, ipc::OptionReply{std::move(*value)}};
  }
  if (std::holds_alternative<ipc::CloseRequest>(body)) {
    server_.close_socket(socket, now_);
    return Reply{type_, 0, ipc::Empty{}};
  }
  switch (type_) {
    case MessageType::listen:
      return Reply{type_, EOPNOTSUPP, ipc::Empty{}};
    case MessageType::getsockname:
      return Reply{type_, 0,
                   ipc::AddressReply{udp.local_address(handle).value_or(SocketAddress{})}};
    case MessageType::getpeername: {
      const auto peer = udp.remote_address(handle);
      if (!peer) return Reply{type_, to_errno(peer.error()), ipc::Empty{}};
      return Reply{type_, 0, ipc::AddressReply{*peer}};
    }
    case MessageType::get_error: {
      const auto error = udp.take_error(handle);
      const std::uint32_t pending = error ? to_errno(*error) : 0;
      return Reply{type_, 0, ipc::ErrorReply{pending}};
    }
    default:
      return Reply{type_, ENOPROTOOPT, ipc::Empty{}};  // TCP_INFO on a datagram socket
  }
}

std::uint32_t RequestHandler::set_udp_option(IpcSocket& socket,
                                             const ipc::SetOptionRequest& request) {
  UdpLayer& udp = server_.udp_;
  const SocketHandle handle = socket.handle.value();
  if (request.option == SocketOption::so_linger) {
    return request.value.size() == 8 ? 0 : EINVAL;  // accepted and meaningless, as on Linux
  }
  if (request.value.size() != 4) return EINVAL;
  const auto v = static_cast<std::int32_t>(wire::load32(request.value, 0));
  UdpSocketOptions options = udp.options(handle).value_or(UdpSocketOptions{});
  const UdpSocketOptions before = options;
  switch (request.option) {
    case SocketOption::so_reuseaddr:
      socket.reuse_address = v != 0;
      options.reuse_address = socket.reuse_address || socket.reuse_port;
      break;
    case SocketOption::so_reuseport:
      // Sharing a port works as with SO_REUSEADDR (the latest bind receives unicast), without
      // Linux's load balancing; clients such as dig set it on every socket.
      socket.reuse_port = v != 0;
      options.reuse_address = socket.reuse_address || socket.reuse_port;
      break;
    case SocketOption::so_broadcast:
      options.broadcast = v != 0;
      break;
    case SocketOption::so_rcvbuf:
      options.receive_buffer = doubled_buffer(v, server_.settings_.udp.receive_buffer_max);
      break;
    case SocketOption::so_sndbuf:
      socket.send_buffer = doubled_buffer(v, server_.settings_.udp.receive_buffer_max);
      return 0;
    case SocketOption::so_keepalive:
      socket.options.keepalive = v != 0;  // stored only: no meaning for UDP
      return 0;
    default:
      return ENOPROTOOPT;  // TCP options and get-only ones
  }
  const auto applied = udp.set_options(handle, options);
  if (!applied) return to_errno(applied.error());
  if (!server_.update_reservation(socket)) {  // a larger SO_RCVBUF over the client's budget
    [[maybe_unused]] const auto restored = udp.set_options(handle, before);  // was in effect
    assert(restored.has_value());
    return ENOBUFS;
  }
  return 0;
}

Result<ipc::OptionValue, std::uint32_t> RequestHandler::get_udp_option(IpcSocket& socket,
                                                                       SocketOption option) {
  UdpLayer& udp = server_.udp_;
  const SocketHandle handle = socket.handle.value();
  const UdpSocketOptions options = udp.options(handle).value_or(UdpSocketOptions{});
  const UdpSettings& defaults = server_.settings_.udp;
  switch (option) {
    case SocketOption::so_reuseaddr:
      return encode_i32(socket.reuse_address ? 1 : 0);
    case SocketOption::so_reuseport:
      return encode_i32(socket.reuse_port ? 1 : 0);
    case SocketOption::so_broadcast:
      return encode_i32(options.broadcast ? 1 : 0);
    case SocketOption::so_rcvbuf:
      return encode_i32(clamp_i32(options.receive_buffer != 0 ? options.receive_buffer
                                                              : defaults.receive_buffer));
    case SocketOption::so_sndbuf:
      return encode_i32(
          clamp_i32(socket.send_buffer != 0 ? socket.send_buffer : defaults.receive_buffer));
    case SocketOption::so_keepalive:
      return encode_i32(socket.options.keepalive ? 1 : 0);
    case SocketOption::so_acceptconn:
      return encode_i32(0);
    case SocketOption::so_type:
      return encode_i32(2);  // SOCK_DGRAM
    case SocketOption::so_error: {
      const auto error = udp.take_error(handle);
      return encode_i32(error ? static_cast<std::int32_t>(to_errno(*error)) : 0);
    }
    case SocketOption::so_linger:
      return ipc::OptionValue(8);  // off
    default:
      return unexpected(std::uint32_t{ENOPROTOOPT});
  }
}

}  // namespace tapstack::daemon::ipc
