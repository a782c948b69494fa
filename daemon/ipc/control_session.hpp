// One client's control connection (ipc/PROTOCOL.md §1): receives and decodes one packet at a
// time with the fd it carries, and sends replies and events, queueing what the socket cannot
// take yet in a bounded outbox. Knows nothing of sockets: the IpcServer dispatches.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "daemon/ipc/unix_listener.hpp"
#include "ipc/codec.hpp"

namespace tapstack::daemon::ipc {

using tapstack::ipc::Message;

struct Incoming {
  Message message;
  UniqueFd fd;  // valid exactly when message.has_fd
};

class ControlSession {
 public:
  static constexpr std::size_t kMaxOutbox = 256;  // queued replies before the client is dropped

  // Takes ownership of the connected, non-blocking `fd`.
  ControlSession(boost::asio::io_context& io, AcceptedClient client, std::uint64_t id);

  std::uint64_t id() const { return id_; }
  const Credentials& credentials() const { return *credentials_; }
  // Shared with the sockets it creates, which may outlive the session.
  const std::shared_ptr<const Credentials>& shared_credentials() const { return credentials_; }
  // "pid=P uid=U gid=G", for log lines.
  std::string describe() const;

  // The next request, nullopt when none is waiting, or the reason to close the client (also
  // "closed the connection" at EOF). `buffer` (kMaxMessageSize + 1 bytes) is scratch.
  Result<std::optional<Incoming>, std::string> receive(std::span<std::byte> buffer);

  // Queues a reply (with `fd` attached when valid). False when the outbox overflowed or the
  // socket failed: the client must be closed.
  bool send_reply(const Message& reply, UniqueFd fd);
  // Sends an event if the socket takes it now; otherwise it is dropped (returns false).
  bool send_event(const Message& event);
  // Sends what the outbox holds; false on a socket error.
  bool flush();
  bool outbox_empty() const { return outbox_.empty(); }
  bool outbox_full() const { return outbox_.size() >= kMaxOutbox; }

  // Starts an Asio wait on the socket; `handler(error_code)` may run after this session is gone
  // (a wait completed before close): it must find the session again by id.
  template <typename Handler>
  void async_wait(boost::asio::posix::descriptor_base::wait_type type, Handler handler) {
    socket_.async_wait(type, std::move(handler));
  }

  bool hello_done = false;
  std::size_t socket_count = 0;     // sockets created through this session and still alive
  std::size_t buffer_reserved = 0;  // their buffer reservations together (buffer_budget.cpp)
  bool waiting_read = false;        // an Asio wait is pending
  bool waiting_write = false;
  bool readable = false;  // reported readable and not yet drained
  // The answer of the last admin command, kept while the client reads it in chunks.
  std::string admin_command;
  std::string admin_answer;

 private:
  struct Outgoing {
    std::vector<std::byte> bytes;
    UniqueFd fd;
  };

  boost::asio::posix::stream_descriptor socket_;
  std::shared_ptr<const Credentials> credentials_;
  std::uint64_t id_;
  std::deque<Outgoing> outbox_;
};

}  // namespace tapstack::daemon::ipc
