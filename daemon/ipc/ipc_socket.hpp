// A socket of an IPC client as the IpcServer sees it: its state between control requests and
// its data channel. TCP sockets get a TcpLayer handle once they listen or connect; UDP sockets
// get a UdpLayer handle when they are created.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <utility>

#include "daemon/ipc/data_channel.hpp"
#include "daemon/ipc/unix_listener.hpp"
#include "ipc/protocol.hpp"

namespace tapstack::daemon::ipc {

// TCP: fresh -> connecting -> connected | failed, or fresh -> listening.
// UDP: fresh (no peer) <-> connected.
enum class Phase : std::uint8_t { fresh, connecting, connected, listening, failed };

struct IpcSocket {
  IpcSocket(std::uint32_t socket_id, std::uint64_t owner_session, tapstack::ipc::SocketKind k,
            DataChannel data_channel)
      : id(socket_id), owner(owner_session), kind(k), channel(std::move(data_channel)) {}

  bool is_udp() const { return kind == tapstack::ipc::SocketKind::udp; }

  std::uint32_t id;
  std::uint64_t owner;  // the session that created it; 0 once that session is gone
  std::shared_ptr<const Credentials> creator;  // who created it (its session's credentials)
  tapstack::ipc::SocketKind kind;
  Phase phase = Phase::fresh;
  std::optional<SocketHandle> handle;  // in the TcpLayer or UdpLayer (see above)
  std::optional<SocketAddress> bound;  // bind(); port 0: chosen at listen/connect
  std::optional<SocketAddress> peer;
  TcpSocketOptions options;
  bool reuse_address = false;
  bool reuse_port = false;                     // UDP only: treated as SO_REUSEADDR
  std::optional<std::int32_t> linger_seconds;  // SO_LINGER on
  bool read_shut = false;                      // shutdown(SHUT_RD): received data is dropped
  std::uint32_t pending_error = 0;             // errno kept for SO_ERROR
  bool accept_waiting = false;                 // a listener stopped accepting at a limit
  bool queued = false;                         // in the server's ready list
  std::optional<std::pair<UniqueFd, std::uint32_t>> unsent_accept;  // (client end, socket id)
  std::size_t send_buffer = 0;      // UDP SO_SNDBUF as set (doubled); 0: the default
  std::size_t reserved_buffer = 0;  // charged to its owner's max_buffer_per_client
  DataChannel channel;
};

}  // namespace tapstack::daemon::ipc
