#include "ipc/errno_map.hpp"

#include <cerrno>

namespace tapstack::ipc {

std::uint32_t to_errno(SocketError error) {
  switch (error) {
    case SocketError::would_block:
      return EAGAIN;
    case SocketError::in_progress:
      return EINPROGRESS;
    case SocketError::connection_refused:
      return ECONNREFUSED;
    case SocketError::connection_reset:
      return ECONNRESET;
    case SocketError::timed_out:
      return ETIMEDOUT;
    case SocketError::not_connected:
      return ENOTCONN;
    case SocketError::already_connected:
      return EISCONN;
    case SocketError::broken_pipe:
      return EPIPE;
    case SocketError::address_in_use:
      return EADDRINUSE;
    case SocketError::address_not_available:
      return EADDRNOTAVAIL;
    case SocketError::invalid_argument:
      return EINVAL;
    case SocketError::no_buffer_space:
      return ENOBUFS;
    case SocketError::bad_handle:
      return EBADF;
    case SocketError::host_unreachable:
      return EHOSTUNREACH;
    case SocketError::network_unreachable:
      return ENETUNREACH;
    case SocketError::message_too_long:
      return EMSGSIZE;
    case SocketError::access_denied:
      return EACCES;
    case SocketError::destination_required:
      return EDESTADDRREQ;
  }
  return EINVAL;
}

}  // namespace tapstack::ipc
