// The one place where the stack's SocketError becomes a Linux errno (ipc/PROTOCOL.md §2.2).
#pragma once

#include <cstdint>

#include "stack/socket/socket_types.hpp"

namespace tapstack::ipc {

std::uint32_t to_errno(SocketError error);

}  // namespace tapstack::ipc
