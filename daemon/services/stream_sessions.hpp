// The three simple stream services: echo (RFC 862), discard (RFC 863) and chargen (RFC 864
// semantics: send until the client closes; but the data is the /bytes/N pattern of
// daemon/services/pattern.hpp instead of RFC 864's 72-character lines, so a client can verify
// every byte, and it is sent as fast as the connection allows).
#pragma once

#include <cstdint>
#include <memory>

#include "daemon/services/session.hpp"

namespace tapstack::daemon::services {

// Sends back every byte. At most kPendingSize bytes wait for the send buffer; while they are
// full nothing more is read, so the peer's data stays in TCP's receive buffer and flow control
// slows the peer down. Data is read into the services' shared scratch buffer and sent at once;
// only what the send buffer does not take is kept, in a buffer allocated for as long as it
// holds something, so an idle echo connection costs no buffer memory (issue 7: 100,000 idle
// connections at a few KB each).
class EchoSession final : public Session {
 public:
  static constexpr std::size_t kPendingSize = 64 * 1024;
  using Session::Session;

 private:
  bool run(Instant now) override;
  bool flush_pending(Instant now);
  bool read_more(Instant now);

  std::unique_ptr<std::byte[]> pending_;  // kPendingSize bytes while begin_ != end_
  std::size_t begin_ = 0;                 // pending_[begin_, end_) waits to be sent
  std::size_t end_ = 0;
  bool peer_closed_ = false;
};

// Reads and throws away everything until the peer closes.
class DiscardSession final : public Session {
 public:
  using Session::Session;

 private:
  bool run(Instant now) override;
};

// Sends the pattern until the peer closes; reads and throws away whatever the peer sends.
class ChargenSession final : public Session {
 public:
  using Session::Session;

 private:
  bool run(Instant now) override;

  std::uint64_t offset_ = 0;  // bytes of the pattern sent so far
};

}  // namespace tapstack::daemon::services
