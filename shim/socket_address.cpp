#include "shim/socket_address.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace tapstack::shim {

Result<SocketAddress, int> from_sockaddr(const sockaddr* address, socklen_t length) {
  if (address == nullptr || length < sizeof(sockaddr_in)) return unexpected(EINVAL);
  sockaddr_in in{};
  std::memcpy(&in, address, sizeof in);
  if (in.sin_family != AF_INET) return unexpected(EAFNOSUPPORT);
  return SocketAddress{Ipv4Addr{ntohl(in.sin_addr.s_addr)}, ntohs(in.sin_port)};
}

void to_sockaddr(const SocketAddress& address, sockaddr* out, socklen_t* length) {
  if (out == nullptr || length == nullptr) return;
  sockaddr_in in{};
  in.sin_family = AF_INET;
  in.sin_port = htons(address.port);
  in.sin_addr.s_addr = htonl(address.address.value());
  std::memcpy(out, &in, std::min<std::size_t>(*length, sizeof in));
  *length = sizeof in;
}

}  // namespace tapstack::shim
