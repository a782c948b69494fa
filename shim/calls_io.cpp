// Interposed: the read and write families, sendmmsg/recvmmsg and ioctl(FIONREAD).
//
// TCP sockets are Unix stream sockets and need the shim only where the kernel would answer
// differently: end of stream after an error (ECONNRESET, ETIMEDOUT: PROTOCOL.md §3.1), and send
// calls that carry an address (TCP ignores it; a Unix stream socket would refuse it). UDP
// sockets carry a header per datagram (PROTOCOL.md §5): every data call on them goes through
// shim/datagram_io. Everything else (poll, epoll, sendfile on TCP, ...) works on the fd as is.
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <cerrno>
#include <cstdarg>

#include "shim/datagram_io.hpp"
#include "shim/libc_calls.hpp"
#include "shim/shim_state.hpp"

namespace tapstack::shim {
namespace {

// Whether `fd` is a tapstack UDP socket. Cheap while the process has none.
bool datagram(int fd) {
  if (ReentryGuard::active()) return false;
  ReentryGuard guard;
  return ShimState::instance().is_datagram(fd);
}

// A read that returned 0 on a tapstack socket is either the peer's FIN or the daemon closing
// the channel after a reset or timeout: the pending error tells which. When the daemon cannot
// be asked and closed the channel, it stopped: the connection ended without the peer's FIN,
// which must not read as a clean end of stream (a body read to EOF would be silently cut), so
// the read fails with ENETDOWN (PROTOCOL.md §4).
ssize_t end_of_stream(int fd, ssize_t result) {
  if (result != 0 || ReentryGuard::active()) return result;
  const int saved = errno;
  ReentryGuard guard;
  if (!ShimState::instance().is_ours(fd)) return result;
  auto client = ShimState::instance().client();
  const auto error = client ? (*client)->take_error(ShimState::socket_of(fd))
                            : Result<int, int>{unexpected(client.error())};
  if (error && *error != 0) {
    errno = *error;
    return -1;
  }
  // Only a lost daemon counts: after the peer's FIN and our own SHUT_WR the channel is closed
  // both ways too (POLLHUP), and the daemon may already have released the socket (EBADF).
  const bool daemon_gone = !client || (!error && error.error() == ipc::Client::kDaemonGone);
  if (daemon_gone && daemon_closed_channel(fd)) {
    errno = ENETDOWN;
    return -1;
  }
  errno = saved;
  return result;
}

bool strip_address(int fd, const void* address) {
  if (address == nullptr || ReentryGuard::active()) return false;
  ReentryGuard guard;
  return ShimState::instance().is_ours(fd);
}

msghdr message_of(const iovec* vectors, int count) {
  msghdr message{};
  message.msg_iov = const_cast<iovec*>(vectors);
  message.msg_iovlen = count < 0 ? 0 : static_cast<std::size_t>(count);
  return message;
}

ssize_t send_one(int fd, const void* buffer, size_t length, int flags, const sockaddr* address,
                 socklen_t address_length) {
  iovec vector{const_cast<void*>(buffer), length};
  msghdr message = message_of(&vector, 1);
  message.msg_name = const_cast<sockaddr*>(address);
  message.msg_namelen = address_length;
  return send_datagram(fd, message, flags);
}

ssize_t receive_one(int fd, void* buffer, size_t length, int flags, sockaddr* address,
                    socklen_t* address_length) {
  iovec vector{buffer, length};
  msghdr message = message_of(&vector, 1);
  message.msg_name = address_length != nullptr ? address : nullptr;
  message.msg_namelen = address_length != nullptr ? *address_length : 0;
  const ssize_t n = receive_datagram(fd, message, flags);
  if (n >= 0 && address_length != nullptr) *address_length = message.msg_namelen;
  return n;
}

}  // namespace
}  // namespace tapstack::shim

using namespace tapstack::shim;

// Exported despite the library's hidden default: these are what LD_PRELOAD interposes.
#pragma GCC visibility push(default)
extern "C" {

ssize_t read(int fd, void* buffer, size_t count) {
  if (datagram(fd)) return receive_one(fd, buffer, count, 0, nullptr, nullptr);
  const ssize_t n = libc().read(fd, buffer, count);
  return count > 0 ? end_of_stream(fd, n) : n;
}

ssize_t readv(int fd, const iovec* vectors, int count) {
  if (datagram(fd)) {
    msghdr message = message_of(vectors, count);
    return receive_datagram(fd, message, 0);
  }
  return end_of_stream(fd, libc().readv(fd, vectors, count));
}

ssize_t recv(int fd, void* buffer, size_t length, int flags) {
  if (datagram(fd)) return receive_one(fd, buffer, length, flags, nullptr, nullptr);
  const ssize_t n = libc().recv(fd, buffer, length, flags);
  return length > 0 ? end_of_stream(fd, n) : n;
}

ssize_t recvfrom(int fd, void* buffer, size_t length, int flags, sockaddr* address,
                 socklen_t* address_length) {
  if (datagram(fd)) return receive_one(fd, buffer, length, flags, address, address_length);
  const ssize_t n = libc().recvfrom(fd, buffer, length, flags, address, address_length);
  return length > 0 ? end_of_stream(fd, n) : n;
}

ssize_t recvmsg(int fd, msghdr* message, int flags) {
  if (message != nullptr && datagram(fd)) return receive_datagram(fd, *message, flags);
  return end_of_stream(fd, libc().recvmsg(fd, message, flags));
}

ssize_t write(int fd, const void* buffer, size_t count) {
  if (datagram(fd)) return send_one(fd, buffer, count, 0, nullptr, 0);
  return libc().write(fd, buffer, count);
}

ssize_t writev(int fd, const iovec* vectors, int count) {
  if (datagram(fd)) return send_datagram(fd, message_of(vectors, count), 0);
  return libc().writev(fd, vectors, count);
}

ssize_t send(int fd, const void* buffer, size_t length, int flags) {
  if (datagram(fd)) return send_one(fd, buffer, length, flags, nullptr, 0);
  return libc().send(fd, buffer, length, flags);
}

ssize_t sendto(int fd, const void* buffer, size_t length, int flags, const sockaddr* address,
               socklen_t address_length) {
  if (datagram(fd)) return send_one(fd, buffer, length, flags, address, address_length);
  if (strip_address(fd, address)) return libc().sendto(fd, buffer, length, flags, nullptr, 0);
  return libc().sendto(fd, buffer, length, flags, address, address_length);
}

ssize_t sendmsg(int fd, const msghdr* message, int flags) {
  if (message != nullptr && datagram(fd)) return send_datagram(fd, *message, flags);
  if (message != nullptr && strip_address(fd, message->msg_name)) {
    msghdr copy = *message;
    copy.msg_name = nullptr;
    copy.msg_namelen = 0;
    return libc().sendmsg(fd, &copy, flags);
  }
  return libc().sendmsg(fd, message, flags);
}

// sendmmsg(2): datagrams one by one; the count sent, or the first error if none was.
int sendmmsg(int fd, mmsghdr* messages, unsigned int count, int flags) {
  if (!datagram(fd)) return libc().sendmmsg(fd, messages, count, flags);
  unsigned int sent = 0;
  for (; sent < count; ++sent) {
    const ssize_t n = send_datagram(fd, messages[sent].msg_hdr, flags);
    if (n < 0) return sent > 0 ? static_cast<int>(sent) : -1;
    messages[sent].msg_len = static_cast<unsigned int>(n);
  }
  return static_cast<int>(sent);
}

// recvmmsg(2): blocks (unless MSG_DONTWAIT) for the first datagram only; MSG_WAITFORONE makes
// the rest non-blocking, as the kernel does. The timeout is not supported and is ignored.
int recvmmsg(int fd, mmsghdr* messages, unsigned int count, int flags, timespec* timeout) {
  if (!datagram(fd)) return libc().recvmmsg(fd, messages, count, flags, timeout);
  unsigned int received = 0;
  int call_flags = flags & ~MSG_WAITFORONE;
  for (; received < count; ++received) {
    const ssize_t n = receive_datagram(fd, messages[received].msg_hdr, call_flags);
    if (n < 0) return received > 0 ? static_cast<int>(received) : -1;
    messages[received].msg_len = static_cast<unsigned int>(n);
    if ((flags & MSG_WAITFORONE) != 0) call_flags |= MSG_DONTWAIT;
  }
  return static_cast<int>(received);
}

// FIONREAD on a UDP socket is the size of the next datagram (udp(7)), not the channel's bytes.
// Every other request, and every other fd, goes to libc with its argument.
int ioctl(int fd, unsigned long request, ...) __THROW {
  va_list arguments;
  va_start(arguments, request);
  void* argument = va_arg(arguments, void*);
  va_end(arguments);
  if (request == FIONREAD && argument != nullptr && datagram(fd)) {
    *static_cast<int*>(argument) = next_datagram_size(fd);
    return 0;
  }
  return libc().ioctl(fd, request, argument);
}

}  // extern "C"
#pragma GCC visibility pop
