// setsockopt/getsockopt for IPC TCP sockets (ipc/PROTOCOL.md §2.1): option values as they
// travel (i32 big-endian, SO_LINGER two of them, TCP_CONGESTION a name) onto the socket's
// stored TcpSocketOptions, with Linux's ranges and its doubling of SO_RCVBUF/SO_SNDBUF.
#pragma once

#include <cstdint>

#include "daemon/ipc/ipc_socket.hpp"
#include "ipc/protocol.hpp"

namespace tapstack::daemon::ipc {

using tapstack::ipc::OptionValue;
using tapstack::ipc::SocketOption;

// Stores the option in `socket`. Returns 0 or the errno (ENOPROTOOPT, EINVAL). The caller
// passes socket.options to TcpLayer::set_options when the socket has a handle.
std::uint32_t set_option(IpcSocket& socket, SocketOption option, const OptionValue& value,
                         const TcpSettings& defaults);

// The option's value; SO_ERROR clears the pending error, as Linux does.
Result<OptionValue, std::uint32_t> get_option(IpcSocket& socket, SocketOption option,
                                              const TcpSettings& defaults);

}  // namespace tapstack::daemon::ipc
