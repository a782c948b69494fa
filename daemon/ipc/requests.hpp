// Answers one control request of one client (ipc/PROTOCOL.md §2) with the IpcServer's sockets
// and the stack's layers: socket, bind, listen, connect, shutdown, close, options, names, errors
// and TCP_INFO. Every socket named is checked by id and by the inode of the fd that came along.
#pragma once

#include <string>

#include "daemon/ipc/ipc_server.hpp"

namespace tapstack::daemon::ipc {

struct Outcome {
  tapstack::ipc::Reply reply;
  UniqueFd fd;               // attached to the reply (socket: the data channel's client end)
  bool close_after = false;  // hello refused: close the client once the reply is sent
};

class RequestHandler {
 public:
  RequestHandler(IpcServer& server, ControlSession& session, Instant now)
      : server_(server), session_(session), now_(now) {}

  // The reply, or the reason to close the client for a protocol violation.
  Result<Outcome, std::string> handle(Incoming& incoming);

 private:
  using Reply = tapstack::ipc::Reply;

  Outcome hello(const tapstack::ipc::Hello& request);
  Outcome create_socket(const tapstack::ipc::SocketRequest& request);
  // UDP sockets (udp_requests.cpp).
  Outcome create_udp_socket();
  Reply on_udp_socket(IpcSocket& socket, const tapstack::ipc::Body& body);
  std::uint32_t set_udp_option(IpcSocket& socket, const tapstack::ipc::SetOptionRequest& request);
  Result<tapstack::ipc::OptionValue, std::uint32_t> get_udp_option(
      IpcSocket& socket, tapstack::ipc::SocketOption option);
  Reply on_socket(IpcSocket& socket, const tapstack::ipc::Body& body);
  Reply bind(IpcSocket& socket, SocketAddress local);
  Reply listen(IpcSocket& socket, std::uint32_t backlog);
  Reply connect(IpcSocket& socket, SocketAddress remote);
  Reply shutdown(IpcSocket& socket, tapstack::ipc::ShutdownHow how);
  Reply set_option(IpcSocket& socket, const tapstack::ipc::SetOptionRequest& request);
  Reply query(IpcSocket& socket, tapstack::ipc::MessageType type);
  Result<SocketHandle, SocketError> listen_on(IpcSocket& socket, SocketAddress local,
                                              std::uint32_t backlog);
  bool bind_conflict(const IpcSocket& socket, SocketAddress local) const;
  void close_released_sockets(std::uint16_t port);
  // Closes the unused sockets and listeners matching `matches` whose fds are all closed.
  template <typename Predicate>
  void close_released_sockets_if(Predicate matches);
  // The server's limits for one more socket of this client, after closing its released ones.
  bool at_socket_limit(tapstack::ipc::SocketKind kind, std::uint32_t& error);

  IpcServer& server_;
  ControlSession& session_;
  Instant now_;
  tapstack::ipc::MessageType type_ = tapstack::ipc::MessageType::hello;
};

}  // namespace tapstack::daemon::ipc
