// sockaddr_in <-> SocketAddress, with the kernel's rules for lengths and families.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include "stack/base/result.hpp"
#include "stack/socket/socket_types.hpp"

namespace tapstack::shim {

// EINVAL for a short length, EAFNOSUPPORT for another family; as connect(2) and bind(2).
Result<SocketAddress, int> from_sockaddr(const sockaddr* address, socklen_t length);

// Writes `address` as far as `*length` allows and sets `*length` to the full size, as
// getsockname(2) and accept(2) do. Nothing is written when `out` is null.
void to_sockaddr(const SocketAddress& address, sockaddr* out, socklen_t* length);

}  // namespace tapstack::shim
