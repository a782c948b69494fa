// Unix-socket plumbing shared by the daemon and libtapstack: an owning fd, sending and receiving
// one packet with at most one fd attached (SCM_RIGHTS, unix(7)), and the identity of an fd's
// open file (its inode), by which the daemon recognises a data channel (ipc/PROTOCOL.md §2).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <utility>

#include "stack/base/result.hpp"

namespace tapstack::ipc {

// Owns one file descriptor; closes it on destruction. -1: none.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  ~UniqueFd();
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() { return std::exchange(fd_, -1); }
  void reset();

 private:
  int fd_ = -1;
};

// Sends `bytes` as one message with `fd` attached (fd < 0: none). `flags` as for sendmsg(2);
// MSG_NOSIGNAL is always added. Returns the bytes sent or the errno.
Result<std::size_t, int> send_with_fd(int socket, std::span<const std::byte> bytes, int fd,
                                      int flags);

struct Received {
  std::size_t size = 0;    // bytes stored in the buffer
  bool truncated = false;  // the packet was larger than the buffer (MSG_TRUNC)
  bool extra_fds = false;  // more than one fd, or a cut control message: all but `fd` closed
  UniqueFd fd;             // the fd that came with the packet, close-on-exec
};

// Receives one message into `buffer` (flags as for recvmsg(2)); 0 bytes and no fd at EOF.
Result<Received, int> receive_with_fd(int socket, std::span<std::byte> buffer, int flags);

// Identifies an open file: equal for dups of one fd, in any process.
struct FileIdentity {
  dev_t device = 0;
  ino_t inode = 0;
  bool operator==(const FileIdentity&) const = default;
};
struct FileIdentityHash {
  std::size_t operator()(const FileIdentity& id) const {
    return std::hash<std::uint64_t>{}(static_cast<std::uint64_t>(id.inode) * 31 +
                                      static_cast<std::uint64_t>(id.device));
  }
};
Result<FileIdentity, int> identity_of(int fd);

}  // namespace tapstack::ipc
