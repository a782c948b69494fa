// Buffer reservations (config ipc.max_buffer_per_client): what bytes a client can make the daemon
// hold. The daemon itself buffers nothing per socket (PROTOCOL.md §3.1: the pumps peek and
// consume); the stack does, each socket at most its buffers: a TCP connection its send buffer
// and its receive buffer, which autotuning may grow to tcp.receive_buffer_max unless SO_RCVBUF
// fixed it; a UDP socket its receive queue (datagrams the program sends wait in its channel, a
// kernel buffer). Reserving the largest size up front makes the bound hold whatever the peers
// and the program do later; the calls that would raise it past the budget fail with ENOBUFS.
#include "daemon/ipc/ipc_server.hpp"

namespace tapstack::daemon::ipc {

std::size_t IpcServer::buffer_reservation(const IpcSocket& socket) const {
  if (socket.is_udp()) {
    const std::size_t set =
        socket.handle ? udp_.options(*socket.handle).value_or(UdpSocketOptions{}).receive_buffer
                      : 0;
    return set != 0 ? set : settings_.udp.receive_buffer;
  }
  const TcpSocketOptions& o = socket.options;
  return (o.send_buffer != 0 ? o.send_buffer : settings_.tcp.send_buffer) +
         (o.receive_buffer != 0 ? o.receive_buffer : settings_.tcp.receive_buffer_max);
}

std::size_t IpcServer::new_socket_reservation(tapstack::ipc::SocketKind kind) const {
  if (kind == tapstack::ipc::SocketKind::udp) return settings_.udp.receive_buffer;
  return settings_.tcp.send_buffer + settings_.tcp.receive_buffer_max;
}

bool IpcServer::update_reservation(IpcSocket& socket) {
  const std::size_t next = buffer_reservation(socket);
  const auto it = sessions_.find(socket.owner);
  if (it == sessions_.end()) {  // no client left to charge: its sockets only shrink or close
    socket.reserved_buffer = next;
    return true;
  }
  ControlSession& owner = *it->second;
  const std::size_t others = owner.buffer_reserved - socket.reserved_buffer;
  // Shrinking is always allowed, also above a budget a reload lowered.
  if (next > socket.reserved_buffer && others + next > settings_.max_buffer_per_client) {
    return false;
  }
  owner.buffer_reserved = others + next;
  socket.reserved_buffer = next;
  return true;
}

}  // namespace tapstack::daemon::ipc
