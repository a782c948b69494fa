// Vocabulary shared by every socket-owning layer (TCP, UDP) and by the daemon's socket API:
// handles that name sockets, addresses, and the errors a program sees as errno.
#pragma once

#include <cstdint>
#include <string_view>

#include "stack/base/address.hpp"

namespace tapstack {

// Names a socket of one layer. The generation makes a stale handle (of a freed slot that was
// reused) fail with bad_handle instead of reaching another socket.
struct SocketHandle {
  std::uint32_t index = 0;
  std::uint32_t generation = 0;
  bool operator==(const SocketHandle&) const = default;
};

struct SocketAddress {
  Ipv4Addr address;
  std::uint16_t port = 0;
  bool operator==(const SocketAddress&) const = default;
};

// Socket call failures. One value per errno a program can see; the errno mapping lives at the
// IPC boundary.
enum class SocketError : std::uint8_t {
  would_block,            // EAGAIN
  in_progress,            // EINPROGRESS
  connection_refused,     // ECONNREFUSED
  connection_reset,       // ECONNRESET
  timed_out,              // ETIMEDOUT
  not_connected,          // ENOTCONN
  already_connected,      // EISCONN
  broken_pipe,            // EPIPE
  address_in_use,         // EADDRINUSE
  address_not_available,  // EADDRNOTAVAIL
  invalid_argument,       // EINVAL
  no_buffer_space,        // ENOBUFS
  bad_handle,             // EBADF
  host_unreachable,       // EHOSTUNREACH
  network_unreachable,    // ENETUNREACH
  message_too_long,       // EMSGSIZE
  access_denied,          // EACCES (e.g. broadcast without SO_BROADCAST)
  destination_required,   // EDESTADDRREQ
};

std::string_view to_string(SocketError error);

}  // namespace tapstack
