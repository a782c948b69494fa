#include "daemon/ipc/data_channel.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <array>
#include <cerrno>

namespace tapstack::daemon::ipc {
namespace {

constexpr std::size_t kFillerChunk = 4096;
// The most a channel holds for its program. The kernel also caps what we set at
// net.core.wmem_max (then doubles it): with the default 208 KiB, a channel reaches 416 KiB.
constexpr std::size_t kMaxSendBuffer = 4 * 1024 * 1024;
constexpr int kMaxFillerChunks = 64;  // far more than a quarter of any default sndbuf

bool writable(int fd) {
  pollfd p{fd, POLLOUT, 0};
  return ::poll(&p, 1, 0) == 1 && (p.revents & POLLOUT) != 0;
}

// PROTOCOL.md §3.2: a Unix stream socket polls writable while less than a quarter of its send
// buffer is queued at the peer; write from the client end until it stops being writable.
std::size_t fill(int client_end) {
  static const std::array<std::byte, kFillerChunk> zeros{};
  std::size_t total = 0;
  for (int i = 0; i < kMaxFillerChunks && writable(client_end); ++i) {
    const ssize_t n = ::send(client_end, zeros.data(), zeros.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n <= 0) break;
    total += static_cast<std::size_t>(n);
  }
  return total;
}

bool would_block(int error) {
  return error == EAGAIN || error == EWOULDBLOCK;
}

}  // namespace

DataChannel::DataChannel(boost::asio::io_context& io, UniqueFd daemon_end, FileIdentity client,
                         std::size_t filler)
    : end_(io, daemon_end.release()), client_(client), filler_(filler) {}

void DataChannel::discard_filler(std::span<std::byte> scratch) {
  while (filler_ > 0) {
    const ssize_t n = ::recv(fd(), scratch.data(), std::min(filler_, scratch.size()), MSG_DONTWAIT);
    // The filler was written before the client end was handed out, so it is all there.
    if (n <= 0) break;
    filler_ -= static_cast<std::size_t>(n);
  }
  filler_ = 0;
}

bool DataChannel::grow_send_buffer(std::size_t bytes) {
  if (send_buffer_ == 0) {
    int current = 0;
    socklen_t length = sizeof current;
    if (::getsockopt(fd(), SOL_SOCKET, SO_SNDBUF, &current, &length) != 0) return false;
    send_buffer_ = static_cast<std::size_t>(current);
  }
  bytes = std::min(bytes, kMaxSendBuffer);
  if (bytes <= send_buffer_) return false;
  // socket(7): the kernel doubles the value set, and caps it at net.core.wmem_max first.
  const int half = static_cast<int>(bytes / 2);
  if (::setsockopt(fd(), SOL_SOCKET, SO_SNDBUF, &half, sizeof half) != 0) return false;
  int now_set = 0;
  socklen_t length = sizeof now_set;
  if (::getsockopt(fd(), SOL_SOCKET, SO_SNDBUF, &now_set, &length) != 0) return false;
  const bool grew = static_cast<std::size_t>(now_set) > send_buffer_;
  send_buffer_ = std::max(send_buffer_, static_cast<std::size_t>(now_set));
  return grew;
}

void DataChannel::shut_write() {
  if (write_shut_) return;
  write_shut_ = true;
  ::shutdown(fd(), SHUT_WR);
}

bool DataChannel::hung_up() {
  pollfd p{fd(), POLLIN, 0};
  if (::poll(&p, 1, 0) != 1 || (p.revents & (POLLHUP | POLLERR)) == 0) return false;
  int error = 0;
  socklen_t length = sizeof error;
  if (::getsockopt(fd(), SOL_SOCKET, SO_ERROR, &error, &length) == 0) note_error(error);
  return true;
}

Pump DataChannel::to_tcp(TcpLayer& tcp, SocketHandle socket, std::span<std::byte> scratch,
                         std::size_t budget, Instant now) {
  if (read_eof) return Pump::stopped;
  if (send_blocked) return Pump::tcp_blocked;
  while (budget > 0) {
    const std::size_t want = std::min(scratch.size(), budget);
    const ssize_t peeked = ::recv(fd(), scratch.data(), want, MSG_PEEK | MSG_DONTWAIT);
    if (peeked < 0) {
      if (would_block(errno)) return Pump::channel_empty;
      note_error(errno);
      return Pump::channel_hung_up;
    }
    if (peeked == 0) {
      read_eof = true;
      return hung_up() ? Pump::channel_hung_up : Pump::channel_eof;
    }
    const auto offered = scratch.first(static_cast<std::size_t>(peeked));
    const auto taken = tcp.send(socket, offered, now);
    std::size_t consumed = offered.size();  // on a hard error the bytes are dropped
    if (taken) {
      consumed = *taken;
    } else if (taken.error() == SocketError::would_block) {
      send_blocked = true;
      return Pump::tcp_blocked;
    }
    // Consumes exactly what TCP took; it is at the head of the receive queue, as peeked.
    ::recv(fd(), scratch.data(), consumed, MSG_DONTWAIT);
    budget -= std::min(budget, consumed);
    if (consumed < offered.size()) {
      send_blocked = true;
      return Pump::tcp_blocked;
    }
  }
  return Pump::budget_spent;
}

Pump DataChannel::from_tcp(TcpLayer& tcp, SocketHandle socket, std::size_t budget, bool discard,
                           Instant now) {
  if (write_shut_) return Pump::stopped;
  while (budget > 0) {
    const auto waiting = tcp.readable_bytes(socket);
    if (!waiting) {
      if (waiting.error() == SocketError::would_block) return Pump::tcp_empty;
      tcp_failure = waiting.error();
      shut_write();
      return Pump::tcp_error;
    }
    const std::size_t offered = std::min((*waiting)[0].size() + (*waiting)[1].size(), budget);
    if (offered == 0) {
      shut_write();  // RFC 9293 §3.10.7.4 eighth step: the peer's FIN is our EOF
      return Pump::peer_fin;
    }
    std::size_t taken = offered;
    if (!discard) {
      const ssize_t written = write_pieces(*waiting, offered);
      if (written < 0) return would_block(errno) ? Pump::channel_full : Pump::channel_hung_up;
      taken = static_cast<std::size_t>(written);
    }
    // Consumes what the channel took; TCP then opens its window by that much.
    tcp.consume(socket, taken, now);
    budget -= taken;
    if (taken < offered) return Pump::channel_full;
  }
  return Pump::budget_spent;
}

ssize_t DataChannel::write_pieces(const std::array<wire::Bytes, 2>& pieces, std::size_t limit) {
  std::array<iovec, 2> iov{};
  std::size_t count = 0;
  for (const wire::Bytes piece : pieces) {
    const std::size_t length = std::min(piece.size(), limit);
    if (length == 0) break;
    // sendmsg() only reads the buffers; iovec has no const member.
    iov[count++] = {const_cast<std::byte*>(piece.data()), length};
    limit -= length;
  }
  msghdr message{};
  message.msg_iov = iov.data();
  message.msg_iovlen = count;
  return ::sendmsg(fd(), &message, MSG_DONTWAIT | MSG_NOSIGNAL);
}

Pump DataChannel::drain(std::span<std::byte> scratch) {
  if (read_eof) return Pump::stopped;
  for (int round = 0; round < 16; ++round) {
    const ssize_t n = ::recv(fd(), scratch.data(), scratch.size(), MSG_DONTWAIT);
    if (n < 0) {
      if (would_block(errno)) return Pump::channel_empty;
      note_error(errno);
      return Pump::channel_hung_up;
    }
    if (n == 0) {
      read_eof = true;
      return hung_up() ? Pump::channel_hung_up : Pump::channel_eof;
    }
  }
  return Pump::budget_spent;
}

Result<std::pair<DataChannel, UniqueFd>, int> make_channel(boost::asio::io_context& io, int type,
                                                           bool fill_client) {
  int fds[2] = {-1, -1};
  if (::socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, fds) != 0) return unexpected(errno);
  UniqueFd daemon_end{fds[0]};
  UniqueFd client_end{fds[1]};
  const int flags = ::fcntl(daemon_end.get(), F_GETFL);
  if (flags < 0 || ::fcntl(daemon_end.get(), F_SETFL, flags | O_NONBLOCK) != 0) {
    return unexpected(errno);
  }
  const auto identity = tapstack::ipc::identity_of(client_end.get());
  if (!identity) return unexpected(identity.error());
  const std::size_t filler = fill_client ? fill(client_end.get()) : 0;
  return std::pair{DataChannel{io, std::move(daemon_end), *identity, filler},
                   std::move(client_end)};
}

}  // namespace tapstack::daemon::ipc
