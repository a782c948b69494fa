#include "shim/datagram_io.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstddef>
#include <span>
#include <vector>

#include "ipc/codec.hpp"
#include "shim/libc_calls.hpp"
#include "shim/shim_state.hpp"
#include "shim/socket_address.hpp"

namespace tapstack::shim {
namespace {

using ipc::kDatagramHeaderSize;

// Enough for any iovec array a program passes (IOV_MAX is 1024), plus our header.
constexpr std::size_t kMaxVectors = 1024;
constexpr std::size_t kMaxPayload = 65507;  // udp(7): EMSGSIZE beyond

ssize_t fail(int error) {
  errno = error;
  return -1;
}

std::size_t payload_size(const msghdr& message) {
  std::size_t total = 0;
  for (std::size_t i = 0; i < message.msg_iovlen; ++i) total += message.msg_iov[i].iov_len;
  return total;
}

// The program's iovecs behind one for the header.
std::vector<iovec> with_header(const msghdr& message, void* header) {
  std::vector<iovec> vectors;
  vectors.reserve(message.msg_iovlen + 1);
  vectors.push_back(iovec{header, kDatagramHeaderSize});
  for (std::size_t i = 0; i < message.msg_iovlen; ++i) vectors.push_back(message.msg_iov[i]);
  return vectors;
}

}  // namespace

ssize_t send_datagram(int fd, const msghdr& message, int flags) {
  if (message.msg_iovlen > kMaxVectors) return fail(EMSGSIZE);
  const std::size_t size = payload_size(message);
  if (size > kMaxPayload) return fail(EMSGSIZE);
  SocketAddress destination;  // 0.0.0.0:0: the connected peer
  if (message.msg_name != nullptr) {
    const auto parsed =
        from_sockaddr(static_cast<const sockaddr*>(message.msg_name), message.msg_namelen);
    if (!parsed) return fail(parsed.error());
    destination = *parsed;
  }
  std::array<std::byte, kDatagramHeaderSize> header{};
  ipc::encode(ipc::DatagramHeader{destination, 0}, header);
  auto vectors = with_header(message, header.data());
  msghdr packet{};
  packet.msg_iov = vectors.data();
  packet.msg_iovlen = vectors.size();
  // UDP never raises SIGPIPE; the channel would if the daemon went away.
  const ssize_t n = libc().sendmsg(fd, &packet, (flags & MSG_DONTWAIT) | MSG_NOSIGNAL);
  if (n < 0) return errno == EPIPE ? fail(ENETDOWN) : -1;
  return static_cast<ssize_t>(size);
}

ssize_t receive_datagram(int fd, msghdr& message, int flags) {
  if ((flags & MSG_ERRQUEUE) != 0) return fail(EAGAIN);  // no error queue (IP_RECVERR)
  if (message.msg_iovlen > kMaxVectors) return fail(EMSGSIZE);
  std::array<std::byte, kDatagramHeaderSize> header{};
  auto vectors = with_header(message, header.data());
  msghdr packet{};
  packet.msg_iov = vectors.data();
  packet.msg_iovlen = vectors.size();
  const int passed = flags & (MSG_DONTWAIT | MSG_PEEK | MSG_TRUNC | MSG_WAITALL);
  const ssize_t n = libc().recvmsg(fd, &packet, passed);
  // End of stream is SHUT_RD (the daemon shut its end for writing) unless the daemon closed the
  // channel altogether: it stopped, and the program must not wait for datagrams.
  if (n == 0 && daemon_closed_channel(fd)) return fail(ENETDOWN);
  if (n <= 0) return n;  // 0: shut down for reading, as udp(7) after SHUT_RD
  const auto decoded = ipc::decode_datagram_header(
      std::span{header}.first(std::min<std::size_t>(static_cast<std::size_t>(n), header.size())));
  if (!decoded) return fail(EIO);
  if (decoded->error != 0) {
    // Reported once, as sock_error() clears sk_err: a peeked error packet is consumed too.
    if ((flags & MSG_PEEK) != 0) libc().recvmsg(fd, &packet, MSG_DONTWAIT);
    return fail(static_cast<int>(decoded->error));
  }
  if (message.msg_name != nullptr) {
    to_sockaddr(decoded->address, static_cast<sockaddr*>(message.msg_name), &message.msg_namelen);
  }
  message.msg_controllen = 0;  // no ancillary data (IP_PKTINFO and friends are not supported)
  message.msg_flags = packet.msg_flags & MSG_TRUNC;
  return n - static_cast<ssize_t>(kDatagramHeaderSize);
}

int take_datagram_error(int fd) {
  std::array<std::byte, kDatagramHeaderSize> header{};
  const ssize_t n = libc().recv(fd, header.data(), header.size(), MSG_PEEK | MSG_DONTWAIT);
  if (n != static_cast<ssize_t>(kDatagramHeaderSize)) return 0;
  const auto decoded = ipc::decode_datagram_header(header);
  if (!decoded || decoded->error == 0) return 0;
  libc().recv(fd, header.data(), header.size(), MSG_DONTWAIT);
  return static_cast<int>(decoded->error);
}

int next_datagram_size(int fd) {
  std::array<std::byte, kDatagramHeaderSize> header{};
  const ssize_t n =
      libc().recv(fd, header.data(), header.size(), MSG_PEEK | MSG_DONTWAIT | MSG_TRUNC);
  if (n < static_cast<ssize_t>(kDatagramHeaderSize)) return 0;
  const auto decoded = ipc::decode_datagram_header(header);
  if (!decoded || decoded->error != 0) return 0;
  return static_cast<int>(n - static_cast<ssize_t>(kDatagramHeaderSize));
}

}  // namespace tapstack::shim
