#include "shim/dns/udp_transport.hpp"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tapstack::dns {
namespace {

constexpr std::uint16_t kDnsPort = 53;
// Without EDNS(0) a response is at most 512 octets (RFC 1035 §4.2.1); a larger buffer lets a
// server that ignores this be read whole rather than cut off.
constexpr std::size_t kReceiveBuffer = 4096;

class Socket {
 public:
  Socket() : fd_(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {}
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

bool connect_to(int fd, Ipv4Address server) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(kDnsPort);
  std::memcpy(&address.sin_addr.s_addr, server.data(), server.size());
  return ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
}

// Waits for readability until `deadline`: true when readable, false on timeout or error.
bool wait_readable(int fd, std::chrono::steady_clock::time_point deadline) {
  while (true) {
    const auto left =
        std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd entry{fd, POLLIN, 0};
    const int ready = ::poll(&entry, 1, static_cast<int>(left.count()));
    if (ready > 0) return true;
    if (ready < 0 && errno != EINTR) return false;
  }
}

}  // namespace

TransportStatus udp_exchange(Ipv4Address server, std::span<const std::uint8_t> query,
                             std::chrono::milliseconds timeout, const AcceptReply& accept) {
  const Socket socket;
  if (socket.fd() < 0 || !connect_to(socket.fd(), server)) return TransportStatus::failed;
  // sendto without an address rather than send: sendto is among the calls the shim interposes.
  if (::sendto(socket.fd(), query.data(), query.size(), 0, nullptr, 0) !=
      static_cast<ssize_t>(query.size())) {
    return TransportStatus::failed;
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::uint8_t buffer[kReceiveBuffer];
  while (wait_readable(socket.fd(), deadline)) {
    const ssize_t received = ::recv(socket.fd(), buffer, sizeof buffer, MSG_DONTWAIT);
    if (received < 0) {
      // ECONNREFUSED: an ICMP port unreachable came back; nothing listens there.
      if (errno == EAGAIN || errno == EINTR) continue;
      return TransportStatus::failed;
    }
    if (accept(std::span<const std::uint8_t>(buffer, static_cast<std::size_t>(received)))) {
      return TransportStatus::answered;
    }
  }
  return TransportStatus::timed_out;
}

}  // namespace tapstack::dns
