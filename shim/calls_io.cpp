// Interposed on the data path only where the kernel would answer differently from a Unix
// socket: end of stream after an error (ECONNRESET, ETIMEDOUT: PROTOCOL.md §3.1), and send
// calls that carry an address (TCP ignores it; a Unix stream socket would refuse it). Everything
// else (read, write, poll, epoll, sendfile, splice, ...) works on the data channel unchanged.
#include <sys/socket.h>
#include <sys/uio.h>

#include <cerrno>

#include "shim/libc_calls.hpp"
#include "shim/shim_state.hpp"

namespace tapstack::shim {
namespace {

// A read that returned 0 on a tapstack socket is either the peer's FIN or the daemon closing
// the channel after a reset or timeout: the pending error tells which.
ssize_t end_of_stream(int fd, ssize_t result) {
  if (result != 0 || ReentryGuard::active()) return result;
  const int saved = errno;
  ReentryGuard guard;
  if (!ShimState::instance().is_ours(fd)) return result;
  auto client = ShimState::instance().client();
  if (!client) return result;
  const auto error = (*client)->take_error(ShimState::socket_of(fd));
  if (error && *error != 0) {
    errno = *error;
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

}  // namespace
}  // namespace tapstack::shim

using namespace tapstack::shim;

// Exported despite the library's hidden default: these are what LD_PRELOAD interposes.
#pragma GCC visibility push(default)
extern "C" {

ssize_t read(int fd, void* buffer, size_t count) {
  const ssize_t n = libc().read(fd, buffer, count);
  return count > 0 ? end_of_stream(fd, n) : n;
}

ssize_t readv(int fd, const iovec* vectors, int count) {
  return end_of_stream(fd, libc().readv(fd, vectors, count));
}

ssize_t recv(int fd, void* buffer, size_t length, int flags) {
  const ssize_t n = libc().recv(fd, buffer, length, flags);
  return length > 0 ? end_of_stream(fd, n) : n;
}

ssize_t recvfrom(int fd, void* buffer, size_t length, int flags, sockaddr* address,
                 socklen_t* address_length) {
  const ssize_t n = libc().recvfrom(fd, buffer, length, flags, address, address_length);
  return length > 0 ? end_of_stream(fd, n) : n;
}

ssize_t recvmsg(int fd, msghdr* message, int flags) {
  return end_of_stream(fd, libc().recvmsg(fd, message, flags));
}

ssize_t sendto(int fd, const void* buffer, size_t length, int flags, const sockaddr* address,
               socklen_t address_length) {
  if (strip_address(fd, address)) return libc().sendto(fd, buffer, length, flags, nullptr, 0);
  return libc().sendto(fd, buffer, length, flags, address, address_length);
}

ssize_t sendmsg(int fd, const msghdr* message, int flags) {
  if (message != nullptr && strip_address(fd, message->msg_name)) {
    msghdr copy = *message;
    copy.msg_name = nullptr;
    copy.msg_namelen = 0;
    return libc().sendmsg(fd, &copy, flags);
  }
  return libc().sendmsg(fd, message, flags);
}

}  // extern "C"
#pragma GCC visibility pop
