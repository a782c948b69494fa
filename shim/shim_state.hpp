// The shim's process-wide state: the connection to tapstackd (one per process: reopened in a
// child after fork) and which fds are tapstack sockets.
//
// Which fds are ours is decided by the file they refer to (device and inode of the data
// channel), not by fd number: dup, dup2, fork and close need no bookkeeping, and a socket
// inherited across exec is recognised by asking the daemon about the fd (PROTOCOL.md: socket id
// 0 means "look it up by the fd").
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "ipc/client.hpp"

namespace tapstack::shim {

// Set while the shim itself is working on a thread: the C library calls libtapstack makes (its
// own AF_UNIX sockets) must reach libc, not the shim again.
class ReentryGuard {
 public:
  ReentryGuard() { ++depth_; }
  ~ReentryGuard() { --depth_; }
  ReentryGuard(const ReentryGuard&) = delete;
  ReentryGuard& operator=(const ReentryGuard&) = delete;
  static bool active() { return depth_ > 0; }

 private:
  static thread_local int depth_;
};

enum class Ownership { tcp, udp, not_ours };

class ShimState {
 public:
  static ShimState& instance();

  // The daemon connection of this process, opened on first use. Errors are errno values;
  // the first failure is reported on stderr once.
  Result<ipc::Client*, int> client();

  // Whether `fd` is a tapstack socket, and of which kind. Asks the daemon only about unknown
  // Unix stream and seqpacket sockets, once each. Callers hold a ReentryGuard.
  std::optional<ipc::SocketKind> kind_of(int fd);
  bool is_ours(int fd) { return kind_of(fd).has_value(); }
  // Whether `fd` is a tapstack UDP socket: the read and write families ask on every call, so
  // this answers at once while the process has never had one.
  bool is_datagram(int fd) {
    return datagrams_seen_.load(std::memory_order_relaxed) && kind_of(fd) == ipc::SocketKind::udp;
  }
  void remember(int fd, ipc::SocketKind kind);

  // The tapstack socket for `fd` (socket id 0: the daemon looks it up by the fd).
  static ipc::Socket socket_of(int fd) { return ipc::Socket{0, fd}; }

 private:
  std::optional<Ownership> cached(const ipc::FileIdentity& id);
  Ownership ask_daemon(int fd);

  ShimState();

  std::atomic<bool> datagrams_seen_{false};
  std::mutex mutex_;
  std::unique_ptr<ipc::Client> client_;
  pid_t client_pid_ = 0;
  bool warned_ = false;
  std::unordered_map<ipc::FileIdentity, Ownership, ipc::FileIdentityHash> known_;
};

// Whether the daemon closed its end of the channel `fd` (POLLHUP: both directions shut), as when
// it stopped, rather than only shutting it for writing (the peer's FIN, a reset).
bool daemon_closed_channel(int fd);

}  // namespace tapstack::shim
