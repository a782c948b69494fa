#include "daemon/metrics/metrics_listener.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "daemon/ipc/unix_listener.hpp"

namespace tapstack::daemon::metrics {
namespace {

// Scrapers connect one at a time; a short queue is plenty.
constexpr int kTcpBacklog = 64;

std::string errno_text(std::string_view what, int error) {
  return std::string{what} + ": " + std::strerror(error);
}

Result<UniqueFd, std::string> open_tcp_listener(SocketAddress address) {
  UniqueFd fd{::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)};
  if (!fd.valid()) return unexpected(errno_text("metrics socket", errno));
  // A restarted daemon must not wait for its old connections' TIME-WAIT (RFC 9293 §3.4.2).
  const int on = 1;
  if (::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0) {
    return unexpected(errno_text("metrics SO_REUSEADDR", errno));
  }
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(address.port);
  sin.sin_addr.s_addr = htonl(address.address.value());
  // sockaddr_in is the documented argument type of bind(2) for AF_INET: the cast is the API.
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&sin), sizeof sin) != 0) {
    return unexpected(errno_text(
        "bind metrics " + address.address.to_string() + ':' + std::to_string(address.port), errno));
  }
  if (::listen(fd.get(), kTcpBacklog) != 0) return unexpected(errno_text("listen", errno));
  return fd;
}

}  // namespace

Result<UniqueFd, std::string> open_metrics_listener(const config::MetricsConfig& listen,
                                                    const std::string& group) {
  if (listen.tcp) return open_tcp_listener(*listen.tcp);
  return ipc::open_unix_listener(listen.unix_path, group, SOCK_STREAM);
}

std::string describe(const config::MetricsConfig& listen) {
  if (listen.tcp) {
    return listen.tcp->address.to_string() + ':' + std::to_string(listen.tcp->port);
  }
  return "unix:" + listen.unix_path;
}

}  // namespace tapstack::daemon::metrics
