#include "daemon/services/stream_sessions.hpp"

#include <algorithm>
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
  const std::size_t sent = write(std::span{pending_.get() + begin_, end_ - begin_}, now);
  begin_ += sent;
  stats().echo_bytes += sent;
  if (begin_ == end_) {
    begin_ = end_ = 0;
    pending_.reset();
  }
  return sent > 0;
}

bool EchoSession::read_more(Instant now) {
  if (peer_closed_) return false;
  if (begin_ != end_) {
    // Data is waiting for the send buffer: read only into the room left behind it.
    if (end_ == kPendingSize && begin_ > 0) {
      std::memmove(pending_.get(), pending_.get() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    if (end_ == kPendingSize) return false;  // full: let TCP flow control push back
    const ReadResult result = read(std::span{pending_.get() + end_, kPendingSize - end_}, now);
    if (result.status == ReadStatus::data) end_ += result.size;
    if (result.status == ReadStatus::end_of_stream) peer_closed_ = true;
    return result.status == ReadStatus::data || result.status == ReadStatus::end_of_stream;
  }
  const auto scratch = context().scratch.first(std::min(context().scratch.size(), kPendingSize));
  const ReadResult result = read(scratch, now);
  if (result.status == ReadStatus::end_of_stream) peer_closed_ = true;
  if (result.status != ReadStatus::data) return result.status == ReadStatus::end_of_stream;
  const std::size_t sent = write(scratch.first(result.size), now);
  stats().echo_bytes += sent;
  if (sent < result.size) {
    pending_ = std::make_unique_for_overwrite<std::byte[]>(kPendingSize);
    std::memcpy(pending_.get(), scratch.data() + sent, result.size - sent);
    begin_ = 0;
    end_ = result.size - sent;
  }
  return true;
}

bool DiscardSession::run(Instant now) {
  for (;;) {
    const ReadResult result = skip(now);
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
    const ReadResult result = skip(now);
    if (result.status == ReadStatus::end_of_stream || result.status == ReadStatus::failed) {
      return false;
    }
    bool progress = result.status == ReadStatus::data;
    if (!write_blocked()) {
      const std::size_t sent = write(pattern_view(offset_, kPatternViewMax), now);
      offset_ += sent;
      stats().chargen_bytes += sent;
      progress |= sent > 0;
    }
    if (failed()) return false;
    if (!progress) return true;
  }
}

}  // namespace tapstack::daemon::services
