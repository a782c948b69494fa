// The UDP pumps of a data channel (ipc/PROTOCOL.md §5): a SOCK_SEQPACKET pair carries one
// datagram per packet behind an 8-byte header. Like the TCP pumps they peek first and consume
// only what the other side took, so a full stack or a full channel loses nothing.
#include <sys/socket.h>

#include <array>
#include <cerrno>

#include "daemon/ipc/data_channel.hpp"
#include "ipc/codec.hpp"
#include "ipc/errno_map.hpp"

namespace tapstack::daemon::ipc {
namespace {

using tapstack::ipc::DatagramHeader;
using tapstack::ipc::kDatagramHeaderSize;

bool would_block(int error) {
  return error == EAGAIN || error == EWOULDBLOCK;
}

// Removes the packet at the head of the channel (a zero-length read drops a whole packet).
void consume_packet(int fd) {
  ::recv(fd, nullptr, 0, MSG_DONTWAIT | MSG_TRUNC);
}

}  // namespace

Pump DataChannel::to_udp(UdpLayer& udp, SocketHandle socket, std::span<std::byte> scratch,
                         std::size_t budget, Instant now) {
  if (read_eof) return Pump::stopped;
  if (send_blocked) return Pump::tcp_blocked;
  while (budget > 0) {
    const ssize_t n = ::recv(fd(), scratch.data(), scratch.size(), MSG_PEEK | MSG_DONTWAIT);
    if (n < 0) return would_block(errno) ? Pump::channel_empty : Pump::channel_hung_up;
    // Every packet has a header, so 0 bytes means the program shut down or closed the socket.
    if (n == 0) {
      read_eof = true;
      return hung_up() ? Pump::channel_hung_up : Pump::channel_eof;
    }
    const auto packet = scratch.first(static_cast<std::size_t>(n));
    const auto header = tapstack::ipc::decode_datagram_header(packet);
    if (!header || header->error != 0) {
      // Only a program writing to the fd behind the shim's back gets here: drop and say so.
      consume_packet(fd());
      unsent_error = EINVAL;
      continue;
    }
    const auto payload = packet.subspan(kDatagramHeaderSize);
    const auto sent = header->address.port == 0 && header->address.address.is_unspecified()
                          ? udp.send(socket, payload, now)
                          : udp.send_to(socket, header->address, payload, now);
    if (!sent && sent.error() == SocketError::would_block) {
      send_blocked = true;
      return Pump::tcp_blocked;
    }
    consume_packet(fd());
    // The kernel would fail this sendto(); the program learns it on its next call instead.
    if (!sent) {
      unsent_error = tapstack::ipc::to_errno(sent.error());
    }
    budget -= std::min(budget, payload.size() + kDatagramHeaderSize);
  }
  return Pump::budget_spent;
}

Pump DataChannel::from_udp(UdpLayer& udp, SocketHandle socket, std::span<std::byte> scratch,
                           std::size_t budget, bool discard) {
  while (budget > 0) {
    if (unsent_error) {
      std::array<std::byte, kDatagramHeaderSize> packet{};
      tapstack::ipc::encode(DatagramHeader{{}, *unsent_error}, packet);
      const ssize_t n = ::send(fd(), packet.data(), packet.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n < 0) return would_block(errno) ? Pump::channel_full : Pump::channel_hung_up;
      unsent_error.reset();
    }
    const auto payload = scratch.subspan(kDatagramHeaderSize);
    const auto peeked = udp.receive(socket, discard ? payload.first(0) : payload, true);
    if (!peeked) {
      if (peeked.error() == SocketError::would_block) return Pump::tcp_empty;
      unsent_error = tapstack::ipc::to_errno(peeked.error());  // e.g. ECONNREFUSED
      continue;
    }
    if (!discard) {
      tapstack::ipc::encode(DatagramHeader{peeked->source, 0}, scratch);
      const std::size_t size = kDatagramHeaderSize + peeked->size;
      const ssize_t n = ::send(fd(), scratch.data(), size, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n < 0) return would_block(errno) ? Pump::channel_full : Pump::channel_hung_up;
    }
    udp.receive(socket, payload.first(0), false);  // drops the datagram just delivered
    budget -= std::min(budget, kDatagramHeaderSize + peeked->size);
  }
  return Pump::budget_spent;
}

}  // namespace tapstack::daemon::ipc
