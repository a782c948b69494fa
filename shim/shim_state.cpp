#include "shim/shim_state.hpp"

#include <dirent.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "shim/libc_calls.hpp"

namespace tapstack::shim {

thread_local int ReentryGuard::depth_ = 0;

namespace {

constexpr const char* kDefaultSocket = "/run/tapstack/tapstack.sock";
constexpr std::size_t kMaxKnownFiles = 65536;  // bounded memo of which files are ours

// The daemon's socket as the environment named it when the program started. Programs may empty
// their environment later (nginx workers keep only TZ and the variables of its `env` directive;
// daemons call clearenv()), and a forked child opening its own connection must still reach the
// daemon its parent used.
const std::string& socket_path() {
  static const std::string path = [] {
    const char* named = std::getenv("TAPSTACK_SOCKET");
    return std::string(named != nullptr && *named != '\0' ? named : kDefaultSocket);
  }();
  return path;
}

// Runs when the library is loaded, before the program's main() can touch its environment.
[[gnu::constructor]] void read_socket_path_at_load() {
  (void)socket_path();
}

// A Unix seqpacket socket among the fds the process started with may be a UDP socket inherited
// across exec: then the read and write families must look at every fd from the start.
// It runs inside the program's first socket or I/O call, which must not return with errno
// changed when it succeeds (programs print errno after unrelated failures: iperf3's server
// reported ENOTSOCK for a client that closed early): getsockopt on a file sets ENOTSOCK.
bool inherited_seqpacket_socket() {
  const int saved_errno = errno;
  DIR* directory = ::opendir("/proc/self/fd");
  if (directory == nullptr) {
    errno = saved_errno;
    return true;  // cannot tell: be safe
  }
  bool found = false;
  while (const dirent* entry = ::readdir(directory)) {
    const int fd = std::atoi(entry->d_name);
    if (entry->d_name[0] == '.' || fd == ::dirfd(directory)) continue;
    int type = 0;
    socklen_t length = sizeof type;
    if (libc().getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &length) == 0 && type == SOCK_SEQPACKET) {
      found = true;
      break;
    }
  }
  ::closedir(directory);
  errno = saved_errno;
  return found;
}

Ownership ownership_of(ipc::SocketKind kind) {
  return kind == ipc::SocketKind::udp ? Ownership::udp : Ownership::tcp;
}

}  // namespace

ShimState::ShimState() : datagrams_seen_(inherited_seqpacket_socket()) {}

ShimState& ShimState::instance() {
  // Never destroyed: programs call socket functions from atexit handlers and other threads.
  static ShimState* state = new ShimState;
  return *state;
}

Result<ipc::Client*, int> ShimState::client() {
  std::lock_guard lock(mutex_);
  const pid_t pid = ::getpid();
  if (client_ && client_pid_ != pid) {
    // A forked child: the parent's control connection is not ours to talk on (replies would
    // interleave). Release our copy and open our own.
    client_.reset();
  }
  if (!client_) {
    auto connected = ipc::Client::connect(socket_path());
    if (!connected) {
      if (!warned_) {
        warned_ = true;
        std::fprintf(stderr, "tapstack: cannot reach tapstackd at %s: %s\n", socket_path().c_str(),
                     std::strerror(connected.error()));
      }
      return unexpected(connected.error());
    }
    client_ = std::move(*connected);
    client_pid_ = pid;
  }
  return client_.get();
}

std::optional<Ownership> ShimState::cached(const ipc::FileIdentity& id) {
  std::lock_guard lock(mutex_);
  const auto it = known_.find(id);
  if (it == known_.end()) return std::nullopt;
  return it->second;
}

void ShimState::remember(int fd, ipc::SocketKind kind) {
  const auto id = ipc::identity_of(fd);
  if (!id) return;
  if (kind == ipc::SocketKind::udp) datagrams_seen_ = true;
  std::lock_guard lock(mutex_);
  if (known_.size() >= kMaxKnownFiles) known_.clear();
  known_[*id] = ownership_of(kind);
}

std::optional<ipc::SocketKind> ShimState::kind_of(int fd) {
  struct stat status {};
  if (::fstat(fd, &status) != 0 || !S_ISSOCK(status.st_mode)) return std::nullopt;
  const ipc::FileIdentity id{status.st_dev, status.st_ino};
  auto ownership = cached(id);
  if (!ownership) {
    ownership = ask_daemon(fd);
    if (*ownership == Ownership::udp) datagrams_seen_ = true;
    std::lock_guard lock(mutex_);
    if (known_.size() >= kMaxKnownFiles) known_.clear();
    known_[id] = *ownership;
  }
  switch (*ownership) {
    case Ownership::tcp:
      return ipc::SocketKind::tcp;
    case Ownership::udp:
      return ipc::SocketKind::udp;
    case Ownership::not_ours:
      break;
  }
  return std::nullopt;
}

// A data channel is a Unix stream (TCP) or seqpacket (UDP) socket; only those can be ours.
// Anything else is answered without a round trip.
Ownership ShimState::ask_daemon(int fd) {
  int domain = 0;
  int type = 0;
  socklen_t length = sizeof domain;
  if (libc().getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &length) != 0 || domain != AF_UNIX) {
    return Ownership::not_ours;
  }
  length = sizeof type;
  if (libc().getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &length) != 0 ||
      (type != SOCK_STREAM && type != SOCK_SEQPACKET)) {
    return Ownership::not_ours;
  }
  auto connection = client();
  if (!connection) return Ownership::not_ours;
  if (!(*connection)->local_address(socket_of(fd))) return Ownership::not_ours;
  return type == SOCK_SEQPACKET ? Ownership::udp : Ownership::tcp;
}

bool daemon_closed_channel(int fd) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, 0) == 1 && (p.revents & POLLHUP) != 0;
}

}  // namespace tapstack::shim
