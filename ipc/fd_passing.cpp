#include "ipc/fd_passing.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tapstack::ipc {

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) {
    reset();
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

UniqueFd::~UniqueFd() {
  reset();
}

void UniqueFd::reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

namespace {

// Room for up to 4 fds: a sender attaching more than one still has all of them closed here.
constexpr std::size_t kControlSize = CMSG_SPACE(4 * sizeof(int));

}  // namespace

Result<std::size_t, int> send_with_fd(int socket, std::span<const std::byte> bytes, int fd,
                                      int flags) {
  iovec iov{const_cast<std::byte*>(bytes.data()), bytes.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  if (fd >= 0) {
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
  }
  for (;;) {
    const ssize_t sent = ::sendmsg(socket, &msg, flags | MSG_NOSIGNAL);
    if (sent >= 0) return static_cast<std::size_t>(sent);
    if (errno != EINTR) return unexpected(errno);
  }
}

Result<Received, int> receive_with_fd(int socket, std::span<std::byte> buffer, int flags) {
  iovec iov{buffer.data(), buffer.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[kControlSize] = {};
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  ssize_t got = -1;
  do {
    got = ::recvmsg(socket, &msg, flags | MSG_CMSG_CLOEXEC);
  } while (got < 0 && errno == EINTR);
  if (got < 0) return unexpected(errno);
  Received received;
  received.size = static_cast<std::size_t>(got);
  received.truncated = (msg.msg_flags & MSG_TRUNC) != 0;
  received.extra_fds = (msg.msg_flags & MSG_CTRUNC) != 0;
  for (cmsghdr* cmsg = CMSG_FIRSTHDR(&msg); cmsg != nullptr; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
    if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS) continue;
    const std::size_t count = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (std::size_t i = 0; i < count; ++i) {
      int fd = -1;
      std::memcpy(&fd, CMSG_DATA(cmsg) + i * sizeof(int), sizeof(int));
      if (!received.fd.valid()) {
        received.fd = UniqueFd{fd};
      } else {
        ::close(fd);
        received.extra_fds = true;
      }
    }
  }
  return received;
}

Result<FileIdentity, int> identity_of(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return unexpected(errno);
  return FileIdentity{st.st_dev, st.st_ino};
}

}  // namespace tapstack::ipc
