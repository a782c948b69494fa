#include "ipc/client.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>
#include <vector>

#include "ipc/codec.hpp"
#include "stack/wire/bytes.hpp"

namespace tapstack::ipc {

Client::~Client() = default;

Result<std::unique_ptr<Client>, int> Client::connect(const std::string& path,
                                                     std::function<void()> waiter) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(address.sun_path)) return unexpected(ENAMETOOLONG);
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  UniqueFd fd{::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)};
  if (!fd.valid()) return unexpected(errno);
  // sockaddr_un is the documented argument type of connect(2) for AF_UNIX.
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    return unexpected(errno);
  }
  std::unique_ptr<Client> client{new Client{std::move(fd)}};
  client->waiter_ = std::move(waiter);
  const auto reply = client->call(Hello{kVersion, kVersion}, -1);
  if (!reply) return unexpected(reply.error());
  const auto* hello = std::get_if<HelloReply>(&reply->body);
  if (hello == nullptr) return unexpected(EPROTO);
  client->max_sockets_ = hello->max_sockets;
  return client;
}

void Client::wait_fd(int fd, short events) {
  pollfd p{fd, events, 0};
  if (waiter_) {
    while (::poll(&p, 1, 0) == 0) waiter_();
  } else {
    while (::poll(&p, 1, -1) < 0 && errno == EINTR) {
    }
  }
}

Result<Reply, int> Client::call(Body body, int fd, UniqueFd* received_fd) {
  const std::lock_guard lock{mutex_};
  const std::uint32_t id = next_request_id_++;
  const auto bytes = encode(Message{id, fd >= 0, std::move(body)});
  const auto sent = send_with_fd(control_.get(), bytes, fd, 0);
  if (!sent) return unexpected(sent.error() == EPIPE ? kDaemonGone : sent.error());
  return wait_reply(id, received_fd);
}

Result<Reply, int> Client::wait_reply(std::uint32_t request_id, UniqueFd* received_fd) {
  std::vector<std::byte>& buffer = buffer_;
  buffer.resize(kMaxMessageSize + 1);
  for (;;) {
    if (waiter_) wait_fd(control_.get(), POLLIN);
    auto received = receive_with_fd(control_.get(), buffer, 0);
    if (!received) {
      if (received.error() == ECONNRESET) return unexpected(kDaemonGone);
      return unexpected(received.error());
    }
    if (received->size == 0 && !received->fd.valid()) return unexpected(kDaemonGone);
    if (received->truncated) return unexpected(EPROTO);
    auto message = decode(std::span{buffer}.first(received->size));
    if (!message) return unexpected(EPROTO);
    if (auto* event = std::get_if<Event>(&message->body)) {
      if (events_.size() >= kMaxQueuedEvents) events_.pop_front();
      events_.push_back(*event);
      continue;
    }
    auto* reply = std::get_if<Reply>(&message->body);
    if (reply == nullptr || message->request_id != request_id) return unexpected(EPROTO);
    if (reply->error != 0) return unexpected(static_cast<int>(reply->error));
    if (received_fd != nullptr) *received_fd = std::move(received->fd);
    return std::move(*reply);
  }
}

Result<Reply, int> Client::on_socket(Body body, Socket socket) {
  return call(std::move(body), socket.fd);
}

Result<Socket, int> Client::socket(SocketKind kind) {
  UniqueFd fd;
  const auto reply = call(SocketRequest{kind}, -1, &fd);
  if (!reply) return unexpected(reply.error());
  const auto* created = std::get_if<SocketCreated>(&reply->body);
  if (created == nullptr || !fd.valid()) return unexpected(EPROTO);
  return Socket{created->socket_id, fd.release()};
}

Result<void, int> Client::bind(Socket socket, SocketAddress local) {
  const auto reply = on_socket(BindRequest{socket.id, local}, socket);
  if (!reply) return unexpected(reply.error());
  return {};
}

Result<void, int> Client::listen(Socket socket, std::uint32_t backlog) {
  const auto reply = on_socket(ListenRequest{socket.id, backlog}, socket);
  if (!reply) return unexpected(reply.error());
  return {};
}

Result<void, int> Client::connect(Socket socket, SocketAddress remote) {
  const auto reply = on_socket(ConnectRequest{socket.id, remote}, socket);
  if (!reply) return unexpected(reply.error());
  return {};
}

Result<void, int> Client::finish_connect(Socket socket) {
  wait_fd(socket.fd, POLLOUT);
  const auto error = take_error(socket);
  if (!error) return unexpected(error.error());
  if (*error != 0) return unexpected(*error);
  return {};
}

Result<Accepted, int> Client::accept(Socket listener, int flags) {
  std::array<std::byte, kAcceptRecordSize> record{};
  if (waiter_ && (flags & MSG_DONTWAIT) == 0) wait_fd(listener.fd, POLLIN);
  auto received = receive_with_fd(listener.fd, record, flags);
  if (!received) return unexpected(received.error());
  if (received->size == 0 && !received->fd.valid()) return unexpected(EINVAL);
  const auto decoded = decode_accept_record(std::span{record}.first(received->size));
  if (!decoded || !received->fd.valid()) return unexpected(EPROTO);
  return Accepted{Socket{decoded->socket_id, received->fd.release()}, decoded->local,
                  decoded->peer};
}

Result<void, int> Client::shutdown(Socket socket, ShutdownHow how) {
  const auto reply = on_socket(ShutdownRequest{socket.id, how}, socket);
  if (!reply) return unexpected(reply.error());
  // SHUT_WR on the fd itself, so that the FIN follows every byte written before it.
  if (how != ShutdownHow::read && ::shutdown(socket.fd, SHUT_WR) != 0) return unexpected(errno);
  return {};
}

Result<void, int> Client::close(Socket socket) {
  const auto reply = on_socket(CloseRequest{socket.id}, socket);
  UniqueFd closing{socket.fd};
  if (!reply) return unexpected(reply.error());
  return {};
}

Result<void, int> Client::set_option(Socket socket, SocketOption option, const OptionValue& value) {
  if (value.size() > kMaxOptionValue) return unexpected(EINVAL);
  const auto reply = on_socket(SetOptionRequest{socket.id, option, value}, socket);
  if (!reply) return unexpected(reply.error());
  return {};
}

Result<void, int> Client::set_int_option(Socket socket, SocketOption option, std::int32_t value) {
  OptionValue bytes(4);
  wire::store32(bytes, 0, static_cast<std::uint32_t>(value));
  return set_option(socket, option, bytes);
}

Result<OptionValue, int> Client::get_option(Socket socket, SocketOption option) {
  auto reply = on_socket(GetOptionRequest{socket.id, option}, socket);
  if (!reply) return unexpected(reply.error());
  auto* value = std::get_if<OptionReply>(&reply->body);
  if (value == nullptr) return unexpected(EPROTO);
  return std::move(value->value);
}

Result<std::int32_t, int> Client::get_int_option(Socket socket, SocketOption option) {
  const auto value = get_option(socket, option);
  if (!value) return unexpected(value.error());
  if (value->size() != 4) return unexpected(EPROTO);
  return static_cast<std::int32_t>(wire::load32(*value, 0));
}

Result<SocketAddress, int> Client::local_address(Socket socket) {
  const auto reply = on_socket(SocketQuery{MessageType::getsockname, socket.id}, socket);
  if (!reply) return unexpected(reply.error());
  const auto* address = std::get_if<AddressReply>(&reply->body);
  if (address == nullptr) return unexpected(EPROTO);
  return address->address;
}

Result<SocketAddress, int> Client::peer_address(Socket socket) {
  const auto reply = on_socket(SocketQuery{MessageType::getpeername, socket.id}, socket);
  if (!reply) return unexpected(reply.error());
  const auto* address = std::get_if<AddressReply>(&reply->body);
  if (address == nullptr) return unexpected(EPROTO);
  return address->address;
}

Result<int, int> Client::take_error(Socket socket) {
  const auto reply = on_socket(SocketQuery{MessageType::get_error, socket.id}, socket);
  if (!reply) return unexpected(reply.error());
  const auto* error = std::get_if<ErrorReply>(&reply->body);
  if (error == nullptr) return unexpected(EPROTO);
  return static_cast<int>(error->pending_error);
}

Result<TcpInfo, int> Client::tcp_info(Socket socket) {
  const auto reply = on_socket(SocketQuery{MessageType::tcp_info, socket.id}, socket);
  if (!reply) return unexpected(reply.error());
  const auto* info = std::get_if<TcpInfo>(&reply->body);
  if (info == nullptr) return unexpected(EPROTO);
  return *info;
}

Result<std::string, int> Client::admin(const std::string& command) {
  if (command.size() > kMaxAdminCommand) return unexpected(E2BIG);
  std::string answer;
  for (;;) {
    const auto offset = static_cast<std::uint32_t>(answer.size());
    const auto reply = call(AdminRequest{offset, command}, -1);
    if (!reply) return unexpected(reply.error());
    const auto* chunk = std::get_if<AdminReply>(&reply->body);
    if (chunk == nullptr) return unexpected(EPROTO);
    answer += chunk->chunk;
    if (answer.size() >= chunk->total) break;
    if (chunk->chunk.empty()) return unexpected(EPROTO);  // no progress: a broken daemon
  }
  return answer;
}

std::optional<Event> Client::take_event() {
  const std::lock_guard lock{mutex_};
  if (events_.empty()) return std::nullopt;
  Event event = events_.front();
  events_.pop_front();
  return event;
}

}  // namespace tapstack::ipc
