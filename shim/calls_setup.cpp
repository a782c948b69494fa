// Interposed: socket, bind, listen, connect, accept, accept4, shutdown. AF_INET stream and
// datagram sockets become tapstack sockets (a data-channel fd from the daemon); everything else
// goes to libc.
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <optional>

#include "shim/libc_calls.hpp"
#include "shim/shim_state.hpp"
#include "shim/socket_address.hpp"

namespace tapstack::shim {
namespace {

int fail(int error) {
  errno = error;
  return -1;
}

// The kind of tapstack socket socket(2) asks for, if it is one.
std::optional<ipc::SocketKind> requested_kind(int domain, int type, int protocol) {
  if (domain != AF_INET) return std::nullopt;
  const int base_type = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (base_type == SOCK_STREAM && (protocol == 0 || protocol == IPPROTO_TCP)) {
    return ipc::SocketKind::tcp;
  }
  if (base_type == SOCK_DGRAM && (protocol == 0 || protocol == IPPROTO_UDP)) {
    return ipc::SocketKind::udp;
  }
  return std::nullopt;
}

// SOCK_NONBLOCK and SOCK_CLOEXEC of socket(2)/accept4(2) on a received fd.
void apply_flags(int fd, int flags) {
  if ((flags & SOCK_NONBLOCK) != 0) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  if ((flags & SOCK_CLOEXEC) == 0) ::fcntl(fd, F_SETFD, ::fcntl(fd, F_GETFD) & ~FD_CLOEXEC);
}

bool nonblocking(int fd) {
  return (::fcntl(fd, F_GETFL) & O_NONBLOCK) != 0;
}

int accept_tapstack(int fd, sockaddr* address, socklen_t* length, int flags) {
  auto client = ShimState::instance().client();
  if (!client) return fail(client.error());
  auto accepted = (*client)->accept(ShimState::socket_of(fd), nonblocking(fd) ? MSG_DONTWAIT : 0);
  if (!accepted) return fail(accepted.error());
  const int new_fd = accepted->socket.fd;
  apply_flags(new_fd, flags);
  ShimState::instance().remember(new_fd, ipc::SocketKind::tcp);
  to_sockaddr(accepted->peer, address, length);
  return new_fd;
}

// udp(7): connect sets the default destination at once; AF_UNSPEC dissolves it (the daemon
// takes 0.0.0.0:0 for that).
int connect_datagram(int fd, const sockaddr* address, socklen_t length) {
  SocketAddress remote;
  if (address == nullptr || length < static_cast<socklen_t>(sizeof(sa_family_t))) {
    return fail(EINVAL);
  }
  if (address->sa_family != AF_UNSPEC) {
    const auto parsed = from_sockaddr(address, length);
    if (!parsed) return fail(parsed.error());
    remote = *parsed;
  }
  auto client = ShimState::instance().client();
  if (!client) return fail(client.error());
  const auto connected = (*client)->connect(ShimState::socket_of(fd), remote);
  return connected ? 0 : fail(connected.error());
}

}  // namespace
}  // namespace tapstack::shim

using namespace tapstack;
using namespace tapstack::shim;

// Exported despite the library's hidden default: these are what LD_PRELOAD interposes.
#pragma GCC visibility push(default)
extern "C" {

int socket(int domain, int type, int protocol) {
  const auto kind = requested_kind(domain, type, protocol);
  if (ReentryGuard::active() || !kind) return libc().socket(domain, type, protocol);
  ReentryGuard guard;
  auto client = ShimState::instance().client();
  if (!client) return fail(client.error());
  auto created = (*client)->socket(*kind);
  if (!created) return fail(created.error());
  // The channel arrives close-on-exec; socket(2) without SOCK_CLOEXEC is inherited by exec.
  apply_flags(created->fd, type);
  ShimState::instance().remember(created->fd, *kind);
  return created->fd;
}

int bind(int fd, const sockaddr* address, socklen_t length) {
  if (ReentryGuard::active()) return libc().bind(fd, address, length);
  ReentryGuard guard;  // before is_ours(): it may talk to the daemon
  if (!ShimState::instance().is_ours(fd)) return libc().bind(fd, address, length);
  const auto local = from_sockaddr(address, length);
  if (!local) return fail(local.error());
  auto client = ShimState::instance().client();
  if (!client) return fail(client.error());
  const auto bound = (*client)->bind(ShimState::socket_of(fd), *local);
  return bound ? 0 : fail(bound.error());
}

int listen(int fd, int backlog) {
  if (ReentryGuard::active()) return libc().listen(fd, backlog);
  ReentryGuard guard;
  if (!ShimState::instance().is_ours(fd)) return libc().listen(fd, backlog);
  auto client = ShimState::instance().client();
  if (!client) return fail(client.error());
  // listen(2) takes a negative backlog as the maximum.
  const auto queue = backlog < 0 ? SOMAXCONN : static_cast<std::uint32_t>(backlog);
  const auto listening = (*client)->listen(ShimState::socket_of(fd), queue);
  return listening ? 0 : fail(listening.error());
}

int connect(int fd, const sockaddr* address, socklen_t length) {
  if (ReentryGuard::active()) return libc().connect(fd, address, length);
  ReentryGuard guard;
  const auto kind = ShimState::instance().kind_of(fd);
  if (!kind) return libc().connect(fd, address, length);
  if (kind == ipc::SocketKind::udp) return connect_datagram(fd, address, length);
  const auto remote = from_sockaddr(address, length);
  if (!remote) return fail(remote.error());
  auto client = ShimState::instance().client();
  if (!client) return fail(client.error());
  const ipc::Socket socket = ShimState::socket_of(fd);
  if (const auto started = (*client)->connect(socket, *remote); !started) {
    return fail(started.error());
  }
  // PROTOCOL.md §3.2: the fd polls writable once the handshake completed or failed.
  if (nonblocking(fd)) return fail(EINPROGRESS);
  const auto finished = (*client)->finish_connect(socket);
  return finished ? 0 : fail(finished.error());
}

int accept(int fd, sockaddr* address, socklen_t* length) {
  if (ReentryGuard::active()) return libc().accept(fd, address, length);
  ReentryGuard guard;
  if (!ShimState::instance().is_ours(fd)) return libc().accept(fd, address, length);
  return accept_tapstack(fd, address, length, 0);
}

int accept4(int fd, sockaddr* address, socklen_t* length, int flags) {
  if (ReentryGuard::active()) return libc().accept4(fd, address, length, flags);
  ReentryGuard guard;
  if (!ShimState::instance().is_ours(fd)) return libc().accept4(fd, address, length, flags);
  if ((flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) != 0) return fail(EINVAL);
  return accept_tapstack(fd, address, length, flags);
}

int shutdown(int fd, int how) {
  if (ReentryGuard::active()) return libc().shutdown(fd, how);
  ReentryGuard guard;
  if (!ShimState::instance().is_ours(fd)) return libc().shutdown(fd, how);
  if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR) return fail(EINVAL);
  auto client = ShimState::instance().client();
  if (!client) return fail(client.error());
  const auto done =
      (*client)->shutdown(ShimState::socket_of(fd), static_cast<ipc::ShutdownHow>(how));
  return done ? 0 : fail(done.error());
}

}  // extern "C"
#pragma GCC visibility pop
