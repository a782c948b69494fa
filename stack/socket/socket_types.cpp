#include "stack/socket/socket_types.hpp"

#include <array>

namespace tapstack {

std::string_view to_string(SocketError error) {
  static constexpr std::array<std::string_view, 18> kNames = {
      "would block",         "in progress",
      "connection refused",  "connection reset",
      "timed out",           "not connected",
      "already connected",   "broken pipe",
      "address in use",      "address not available",
      "invalid argument",    "no buffer space",
      "bad handle",          "host unreachable",
      "network unreachable", "message too long",
      "access denied",       "destination address required"};
  return kNames[static_cast<std::size_t>(error)];
}

}  // namespace tapstack
