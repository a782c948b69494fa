#include "daemon/services/session.hpp"

#include <cassert>

namespace tapstack::daemon::services {

bool Session::on_event(std::uint8_t events, Instant now) {
  if ((events & tcp_event::writable) != 0) write_blocked_ = false;
  return run(now) && !failed_;
}

Session::ReadResult Session::read(std::span<std::byte> out, Instant now) {
  assert(!out.empty());
  const auto received = context_.tcp.receive(socket_, out, /*peek=*/false, now);
  if (received) {
    if (*received == 0) return ReadResult{ReadStatus::end_of_stream};
    return ReadResult{ReadStatus::data, *received};
  }
  if (received.error() == SocketError::would_block) return ReadResult{ReadStatus::would_block};
  failed_ = true;
  return ReadResult{ReadStatus::failed};
}

Session::ReadResult Session::skip(Instant now) {
  const auto waiting = context_.tcp.readable_bytes(socket_);
  if (!waiting) {
    if (waiting.error() == SocketError::would_block) return ReadResult{ReadStatus::would_block};
    failed_ = true;
    return ReadResult{ReadStatus::failed};
  }
  const std::size_t size = (*waiting)[0].size() + (*waiting)[1].size();
  if (size == 0) return ReadResult{ReadStatus::end_of_stream};
  context_.tcp.consume(socket_, size, now);
  return ReadResult{ReadStatus::data, size};
}

std::size_t Session::write(std::span<const std::byte> data, Instant now) {
  if (write_blocked_ || failed_ || data.empty()) return 0;
  const auto sent = context_.tcp.send(socket_, data, now);
  if (!sent) {
    if (sent.error() == SocketError::would_block) {
      write_blocked_ = true;
    } else {
      failed_ = true;
    }
    return 0;
  }
  // A partial send means the buffer is full: the next call would only return would_block.
  if (*sent < data.size()) write_blocked_ = true;
  return *sent;
}

void Session::shutdown_send(Instant now) {
  if (!context_.tcp.shutdown_send(socket_, now)) failed_ = true;
}

}  // namespace tapstack::daemon::services
