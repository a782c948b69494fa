#include "daemon/ipc/control_session.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace tapstack::daemon::ipc {

using tapstack::ipc::decode;
using tapstack::ipc::encode;
using tapstack::ipc::kMaxMessageSize;

ControlSession::ControlSession(boost::asio::io_context& io, AcceptedClient client, std::uint64_t id)
    : socket_(io, client.fd.release()),
      credentials_(std::make_shared<const Credentials>(std::move(client.credentials))),
      id_(id) {}

std::string ControlSession::describe() const {
  return "pid=" + std::to_string(credentials_->pid) + " uid=" + std::to_string(credentials_->uid) +
         " gid=" + std::to_string(credentials_->gid);
}

Result<std::optional<Incoming>, std::string> ControlSession::receive(std::span<std::byte> buffer) {
  auto received = tapstack::ipc::receive_with_fd(socket_.native_handle(), buffer, MSG_DONTWAIT);
  if (!received) {
    if (received.error() == EAGAIN || received.error() == EWOULDBLOCK) {
      return std::optional<Incoming>{};
    }
    // A client that exits with our replies or events unread resets the connection: that is
    // an ordinary end, like EOF.
    if (received.error() == ECONNRESET) return unexpected(std::string{"closed the connection"});
    return unexpected(std::string{"receive: "} + std::strerror(received.error()));
  }
  // SEQPACKET: a 0-byte read without an fd is the end of the connection.
  if (received->size == 0 && !received->fd.valid()) {
    return unexpected(std::string{"closed the connection"});
  }
  if (received->truncated || received->size > kMaxMessageSize) {
    return unexpected(std::string{"oversize message"});
  }
  if (received->extra_fds) return unexpected(std::string{"more than one fd in a message"});
  auto message = decode(buffer.first(received->size));
  if (!message) return unexpected(std::string{to_string(message.error())});
  if (message->has_fd != received->fd.valid()) {
    return unexpected(std::string{message->has_fd ? "fd missing" : "unexpected fd"});
  }
  return std::optional<Incoming>{Incoming{std::move(*message), std::move(received->fd)}};
}

bool ControlSession::send_reply(const Message& reply, UniqueFd fd) {
  if (outbox_full()) return false;
  outbox_.push_back(Outgoing{encode(reply), std::move(fd)});
  return flush();
}

bool ControlSession::send_event(const Message& event) {
  if (!outbox_.empty()) return false;  // replies first, and never block for an event
  const auto bytes = encode(event);
  return tapstack::ipc::send_with_fd(socket_.native_handle(), bytes, -1, MSG_DONTWAIT).has_value();
}

bool ControlSession::flush() {
  while (!outbox_.empty()) {
    Outgoing& next = outbox_.front();
    const auto sent = tapstack::ipc::send_with_fd(socket_.native_handle(), next.bytes,
                                                  next.fd.get(), MSG_DONTWAIT);
    if (!sent) return sent.error() == EAGAIN || sent.error() == EWOULDBLOCK;
    outbox_.pop_front();  // closes our copy of a passed fd
  }
  return true;
}

}  // namespace tapstack::daemon::ipc
