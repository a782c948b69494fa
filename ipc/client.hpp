// libtapstack: the client side of the IPC protocol (ipc/PROTOCOL.md). One control connection to
// tapstackd, one blocking call per request, errors as errno values. Sockets are the data
// channels' fds (DESIGN.md §3): data moves with read/write on them, not through this class.
//
// Thread-safe: calls are serialised on the control connection. After fork() a child must open
// its own Client (the control fd is close-on-exec, and replies would interleave).
#pragma once

#include <cerrno>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "ipc/fd_passing.hpp"
#include "ipc/protocol.hpp"

namespace tapstack::ipc {

// A socket of the daemon: its id and the caller's data-channel fd. The caller owns the fd:
// close it with ::close (the daemon sees the last close) or with Client::close.
struct Socket {
  std::uint32_t id = 0;
  int fd = -1;
};

struct Accepted {
  Socket socket;
  SocketAddress local;
  SocketAddress peer;
};

class Client {
 public:
  // The errno of every call when the control connection is lost (the daemon stopped).
  static constexpr int kDaemonGone = ENETDOWN;
  static constexpr std::size_t kMaxQueuedEvents = 256;

  // Connects to the daemon's socket and negotiates the version. Errors: connect(2)'s errno
  // (ENOENT, ECONNREFUSED, EACCES, ...), EPROTONOSUPPORT, kDaemonGone. `waiter`: see
  // set_waiter().
  static Result<std::unique_ptr<Client>, int> connect(const std::string& path,
                                                      std::function<void()> waiter = {});

  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  Result<Socket, int> socket(SocketKind kind);
  Result<void, int> bind(Socket socket, SocketAddress local);
  Result<void, int> listen(Socket socket, std::uint32_t backlog);
  // Starts the handshake (PROTOCOL.md §3.2). The fd polls writable once it completed or
  // failed; finish_connect() waits for that and returns the outcome.
  Result<void, int> connect(Socket socket, SocketAddress remote);
  Result<void, int> finish_connect(Socket socket);
  // Takes the next accepted connection from a listener's channel. `flags`: MSG_DONTWAIT for
  // EAGAIN instead of blocking (also implied by a non-blocking fd). EINVAL once the listener
  // is closed.
  Result<Accepted, int> accept(Socket listener, int flags);
  // SHUT_RD is applied by the daemon; SHUT_WR on the fd itself, after the daemon's reply.
  Result<void, int> shutdown(Socket socket, ShutdownHow how);
  // Closes the daemon's side at once (whoever else holds the fd) and the caller's fd.
  Result<void, int> close(Socket socket);
  Result<void, int> set_option(Socket socket, SocketOption option, const OptionValue& value);
  Result<void, int> set_int_option(Socket socket, SocketOption option, std::int32_t value);
  Result<OptionValue, int> get_option(Socket socket, SocketOption option);
  Result<std::int32_t, int> get_int_option(Socket socket, SocketOption option);
  Result<SocketAddress, int> local_address(Socket socket);
  Result<SocketAddress, int> peer_address(Socket socket);
  // The pending asynchronous error (0: none), cleared as SO_ERROR does.
  Result<int, int> take_error(Socket socket);
  Result<TcpInfo, int> tcp_info(Socket socket);
  // Runs an administration command (PROTOCOL.md §7) and returns its whole answer.
  Result<std::string, int> admin(const std::string& command);

  // Events the daemon sent while a call waited for its reply, oldest first (bounded: the
  // oldest are dropped; the daemon keeps the errors for take_error anyway).
  std::optional<Event> take_event();
  std::uint32_t max_sockets() const { return max_sockets_; }
  int control_fd() const { return control_.get(); }

  // Instead of blocking, a call runs `waiter` between non-blocking attempts: for a caller that
  // runs the daemon's loop in the same thread (tests). Empty: block.
  void set_waiter(std::function<void()> waiter) { waiter_ = std::move(waiter); }

 private:
  explicit Client(UniqueFd control) : control_(std::move(control)) {}
  // Sends one request (with `fd` attached when >= 0) and waits for its reply; a received fd
  // goes to `received_fd`.
  Result<Reply, int> call(Body body, int fd, UniqueFd* received_fd = nullptr);
  Result<Reply, int> wait_reply(std::uint32_t request_id, UniqueFd* received_fd);
  Result<Reply, int> on_socket(Body body, Socket socket);
  void wait_fd(int fd, short events);

  UniqueFd control_;
  std::mutex mutex_;
  std::uint32_t next_request_id_ = 1;
  std::uint32_t max_sockets_ = 0;
  std::deque<Event> events_;
  std::function<void()> waiter_;
  std::vector<std::byte> buffer_;  // one received control message
};

}  // namespace tapstack::ipc
