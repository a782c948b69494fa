#include "daemon/services/stream_sessions.hpp"

#include <cstring>

#include "daemon/services/pattern.hpp"

namespace tapstack::daemon::services {

bool EchoSession::run(Instant now) {
  for (;;) {
    bool progress = flush_pending(now);
    progress |= read_more(now);
    if (failed()) return false;
    // RFC 862 gives no rule for the end; like inetd, close once the peer closed and everything
    // it sent went back.
    if (peer_closed_ && begin_ == end_) return false;
    if (!progress) return true;
  }
}

bool EchoSession::flush_pending(Instant now) {
  if (begin_ == end_) return false;
  const std::size_t sent = write(std::span{pending_}.subspan(begin_, end_ - begin_), now);
  begin_ += sent;
  stats().echo_bytes += sent;
  if (begin_ == end_) begin_ = end_ = 0;
  return sent > 0;
}

bool EchoSession::read_more(Instant now) {
  if (peer_closed_) return false;
  if (end_ == pending_.size() && begin_ > 0) {
    std::memmove(pending_.data(), pending_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (end_ == pending_.size()) return false;  // full: let TCP flow control push back
  const ReadResult result = read(std::span{pending_}.subspan(end_), now);
  if (result.status == ReadStatus::data) end_ += result.size;
  if (result.status == ReadStatus::end_of_stream) peer_closed_ = true;
  return result.status == ReadStatus::data || result.status == ReadStatus::end_of_stream;
}

bool DiscardSession::run(Instant now) {
  for (;;) {
    const ReadResult result = read(context().scratch, now);
    switch (result.status) {
      case ReadStatus::data:
        stats().discard_bytes += result.size;
        break;
      case ReadStatus::would_block:
        return true;
      case ReadStatus::end_of_stream:
      case ReadStatus::failed:
        return false;
    }
  }
}

bool ChargenSession::run(Instant now) {
  for (;;) {
    // Whatever the peer sends is read and dropped: unread data would turn our close into a
    // reset, and the read is how we learn that the peer closed.
    const ReadResult result = read(context().scratch, now);
    if (result.status == ReadStatus::end_of_stream || result.status == ReadStatus::failed) {
      return false;
    }
    bool progress = result.status == ReadStatus::data;
    if (!write_blocked()) {
      const std::span<std::byte> chunk = context().scratch;
      fill_pattern(offset_, chunk);
      const std::size_t sent = write(chunk, now);
      offset_ += sent;
      stats().chargen_bytes += sent;
      progress |= sent > 0;
    }
    if (failed()) return false;
    if (!progress) return true;
  }
}

}  // namespace tapstack::daemon::services
