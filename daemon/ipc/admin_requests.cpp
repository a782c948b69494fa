// Admin commands over the control connection (ipc/PROTOCOL.md §7): the command runs when a
// client asks for offset 0; the answer is kept in the session and handed out in chunks until the
// client has read it all, so an answer of any size fits the 64 KiB message limit.
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "daemon/ipc/ipc_server.hpp"

namespace tapstack::daemon::ipc {

namespace ipc = tapstack::ipc;

ipc::Reply IpcServer::admin(ControlSession& session, const ipc::AdminRequest& request) {
  const auto fail = [](std::uint32_t error) {
    return ipc::Reply{ipc::MessageType::admin, error, ipc::Empty{}};
  };
  if (!admin_) return fail(EOPNOTSUPP);
  if (request.offset == 0) {
    const Credentials& who = session.credentials();
    const AdminCaller caller{who, who.uid == 0 || who.uid == ::geteuid()};
    auto answer = admin_(caller, request.command);
    session.admin_command.clear();
    session.admin_answer.clear();
    if (!answer) return fail(answer.error());
    session.admin_command = request.command;
    session.admin_answer = std::move(*answer);
  } else if (request.command != session.admin_command ||
             request.offset > session.admin_answer.size()) {
    return fail(EINVAL);  // a continuation of an answer this client is not reading
  }
  const std::string& answer = session.admin_answer;
  ipc::AdminReply reply;
  reply.total = static_cast<std::uint32_t>(answer.size());
  reply.chunk = answer.substr(request.offset, ipc::kAdminChunk);
  if (request.offset + reply.chunk.size() >= answer.size()) {
    session.admin_command.clear();  // read to the end: free it
    session.admin_answer = std::string{};
  }
  return ipc::Reply{ipc::MessageType::admin, 0, std::move(reply)};
}

std::vector<SocketOwner> IpcServer::socket_owners() const {
  std::vector<SocketOwner> owners;
  owners.reserve(sockets_.size());
  for (const auto& [id, socket] : sockets_) {
    if (socket->handle)
      owners.push_back(SocketOwner{socket->kind, *socket->handle, socket->creator});
  }
  return owners;
}

}  // namespace tapstack::daemon::ipc
