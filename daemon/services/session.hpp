// One accepted connection of a built-in service, driven through the TcpLayer socket API the way
// a program drives a non-blocking socket: read until would_block, write until would_block and
// wait for `writable` before writing again, close at the end.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "daemon/services/service_stats.hpp"
#include "stack/base/time.hpp"
#include "stack/tcp/tcp_layer.hpp"

namespace tapstack::daemon::services {

// What every session shares. Owned by the Services dispatcher, which outlives its sessions.
struct SessionContext {
  TcpLayer& tcp;
  ServiceStats& stats;
  // Temporary space for data read to be thrown away or generated to be sent; never holds
  // anything between two calls, so all sessions share it.
  std::span<std::byte> scratch;
  // For the HTTP status page.
  std::string_view version;
  Instant started;
};

class Session {
 public:
  // `socket` is an accepted connection, owned by the dispatcher, which closes it when the
  // session is done.
  Session(SessionContext& context, SocketHandle socket) : context_(context), socket_(socket) {}
  virtual ~Session() = default;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Handles the connection's `events` (tcp_event bits). Returns false once the session has
  // finished: the peer closed or reset, an error occurred, or the service completed.
  bool on_event(std::uint8_t events, Instant now);

 protected:
  // Makes all the progress possible now (read, process, write). Returns false when finished.
  virtual bool run(Instant now) = 0;

  enum class ReadStatus : std::uint8_t { data, would_block, end_of_stream, failed };
  struct ReadResult {
    ReadStatus status;
    std::size_t size = 0;  // with ReadStatus::data
  };
  // Precondition: !out.empty().
  ReadResult read(std::span<std::byte> out, Instant now);
  // Takes every byte waiting and drops it without copying (for services that throw away what
  // they read); the size is how many.
  ReadResult skip(Instant now);

  // Sends what fits in the send buffer and returns its size. When not all of `data` fit, the
  // session is write-blocked until the next `writable` event; then write() returns 0 without
  // calling send. A send error makes failed() true.
  std::size_t write(std::span<const std::byte> data, Instant now);
  bool write_blocked() const { return write_blocked_; }

  // Shuts down the sending side (our FIN after everything queued). Failure sets failed().
  void shutdown_send(Instant now);

  bool failed() const { return failed_; }
  SessionContext& context() { return context_; }
  ServiceStats& stats() { return context_.stats; }

 private:
  SessionContext& context_;
  SocketHandle socket_;
  bool write_blocked_ = false;
  bool failed_ = false;
};

}  // namespace tapstack::daemon::services
