// An owned file descriptor, closed when the owner goes away. Used for every descriptor tapdev/
// opens (the TAP device, the netlink socket, the io_uring eventfd).
#pragma once

#include <unistd.h>

#include <utility>

namespace tapstack::tapdev {

class UniqueFd {
 public:
  UniqueFd() = default;
  // Takes ownership of `fd` (-1: empty).
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(std::exchange(other.fd_, -1));
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }

  // Closes the current descriptor (if any) and owns `fd` instead.
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

}  // namespace tapstack::tapdev
