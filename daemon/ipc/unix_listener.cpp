#include "daemon/ipc/unix_listener.hpp"

#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace tapstack::daemon::ipc {
namespace {

std::string errno_text(std::string_view what, int error) {
  return std::string{what} + ": " + std::strerror(error);
}

Result<sockaddr_un, std::string> unix_address(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(address.sun_path)) {
    return unexpected("socket path '" + path + "' is empty or too long");
  }
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  return address;
}

// A socket file left by a daemon that died is removed; one that accepts connections belongs to
// a running daemon and is not touched.
Result<void, std::string> remove_stale(const std::string& path, const sockaddr_un& address,
                                       int socket_type) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return {};
  if (!S_ISSOCK(st.st_mode)) return unexpected(path + " exists and is not a socket");
  // Of the listener's own type: connect(2) to a socket of another type fails as if it were dead.
  UniqueFd probe{::socket(AF_UNIX, socket_type | SOCK_CLOEXEC, 0)};
  if (!probe.valid()) return unexpected(errno_text("socket", errno));
  if (::connect(probe.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0) {
    return unexpected(path + " is in use by a running daemon");
  }
  if (::unlink(path.c_str()) != 0) return unexpected(errno_text("unlink " + path, errno));
  return {};
}

Result<void, std::string> set_group(const std::string& path, const std::string& name) {
  if (name.empty()) return {};
  const struct group* entry = ::getgrnam(name.c_str());
  if (entry == nullptr) return unexpected("unknown group '" + name + "'");
  if (::chown(path.c_str(), static_cast<uid_t>(-1), entry->gr_gid) != 0) {
    return unexpected(errno_text("chown " + path, errno));
  }
  return {};
}

}  // namespace

Result<UniqueFd, std::string> open_unix_listener(const std::string& path, const std::string& group,
                                                 int socket_type) {
  const auto address = unix_address(path);
  if (!address) return unexpected(address.error());
  const std::filesystem::path directory = std::filesystem::path{path}.parent_path();
  std::error_code error;
  if (!directory.empty() && !std::filesystem::exists(directory, error)) {
    std::filesystem::create_directories(directory, error);
    if (error) return unexpected("cannot create " + directory.string() + ": " + error.message());
  }
  if (auto removed = remove_stale(path, *address, socket_type); !removed)
    return unexpected(removed.error());
  UniqueFd fd{::socket(AF_UNIX, socket_type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)};
  if (!fd.valid()) return unexpected(errno_text("socket", errno));
  // sockaddr_un is the documented argument type of bind(2) for AF_UNIX: the cast is the API.
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&*address), sizeof(*address)) != 0) {
    return unexpected(errno_text("bind " + path, errno));
  }
  if (::chmod(path.c_str(), 0660) != 0) return unexpected(errno_text("chmod " + path, errno));
  if (auto grouped = set_group(path, group); !grouped) return unexpected(grouped.error());
  if (::listen(fd.get(), SOMAXCONN) != 0) return unexpected(errno_text("listen", errno));
  return fd;
}

namespace {

// The client's command name, for `tapstackctl sockets`; read once, when it connects.
std::string program_of(pid_t pid) {
  std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
  std::string name;
  std::getline(comm, name);
  return name;
}

}  // namespace

std::optional<AcceptedClient> accept_client(int listener) {
  UniqueFd fd{::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC)};
  if (!fd.valid()) return std::nullopt;
  ucred credentials{};
  socklen_t length = sizeof(credentials);
  if (::getsockopt(fd.get(), SOL_SOCKET, SO_PEERCRED, &credentials, &length) != 0) {
    return std::nullopt;
  }
  return AcceptedClient{std::move(fd), Credentials{credentials.pid, credentials.uid,
                                                   credentials.gid, program_of(credentials.pid)}};
}

}  // namespace tapstack::daemon::ipc
