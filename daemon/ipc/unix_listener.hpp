// The daemon's listening Unix socket for control connections (ipc/PROTOCOL.md §1): a
// SOCK_SEQPACKET socket at the configured path, its directory created if missing, mode 0660 with
// the configured group, and the credentials (SO_PEERCRED, unix(7)) of each client it accepts.
#pragma once

#include <sys/socket.h>
#include <sys/types.h>

#include <optional>
#include <string>

#include "ipc/fd_passing.hpp"
#include "stack/base/result.hpp"

namespace tapstack::daemon::ipc {

using tapstack::ipc::UniqueFd;

struct Credentials {
  pid_t pid = 0;
  uid_t uid = 0;
  gid_t gid = 0;
  std::string program;  // /proc/PID/comm when readable (empty under ProtectProc=invisible)
};

struct AcceptedClient {
  UniqueFd fd;  // non-blocking, close-on-exec
  Credentials credentials;
};

// Creates the socket at `path`: the parent directory (mode 0755) when missing, a stale socket
// left by a dead daemon removed (one that still answers is an error), permissions 0660 and the
// group `group` (empty: unchanged). Returns the non-blocking listening fd or a message.
// `socket_type`: SOCK_SEQPACKET for IPC clients, SOCK_STREAM for the metrics endpoint.
Result<UniqueFd, std::string> open_unix_listener(const std::string& path, const std::string& group,
                                                 int socket_type = SOCK_SEQPACKET);

// Accepts one pending client; nullopt when none is waiting (or on a transient error).
std::optional<AcceptedClient> accept_client(int listener);

}  // namespace tapstack::daemon::ipc
