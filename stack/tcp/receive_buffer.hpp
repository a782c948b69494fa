// The receive buffer of one TCP connection: in-order bytes waiting for the application and
// out-of-order bytes held at their place until the gap before them fills (RFC 9293 §3.10.7.4
// "seventh, process the segment text"; RFC 9293 §3.8.6 receive window), with the SACK blocks
// that describe them (RFC 2018 §4) and D-SACK reports of duplicates (RFC 2883 §4).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "stack/tcp/seq_num.hpp"
#include "stack/tcp/seq_range.hpp"
#include "stack/wire/bytes.hpp"

namespace tapstack {

// One ring holds both kinds of data: the byte with sequence number rcv_nxt() + i sits i bytes
// after the last unread in-order byte. Because the advertised window never exceeds the free
// space (window() = capacity - readable), every acceptable segment fits without allocation
// beyond the ring. Storage starts empty and doubles (from kInitialStorage) up to capacity() as
// data arrives; the out-of-order ranges are a small sorted vector bounded by kMaxOutOfOrderRanges.
// Overlapping data keeps the bytes received first (as Linux does for its out-of-order queue).
// Not thread-safe; owned by its connection.
class ReceiveBuffer {
 public:
  static constexpr std::size_t kInitialStorage = 4096;
  static constexpr std::size_t kMaxOutOfOrderRanges = 32;

  // `capacity`: SO_RCVBUF, the largest window offered. Precondition: capacity < 2^31.
  explicit ReceiveBuffer(std::size_t capacity);

  // Raises (autotuning) or lowers the limit; never below the bytes held, out-of-order included.
  void set_capacity(std::size_t capacity);
  std::size_t capacity() const { return capacity_; }
  // Bytes of storage allocated (memory accounting).
  std::size_t storage_size() const { return storage_size_; }

  // Sets RCV.NXT (the peer's ISN + 1 once its SYN arrived). Precondition: nothing held.
  void start(SeqNum rcv_nxt);
  // The next in-order sequence number expected (RCV.NXT).
  SeqNum rcv_nxt() const { return rcv_nxt_; }
  // In-order bytes the application has not read yet.
  std::size_t readable() const { return readable_; }
  // RFC 9293 §3.3.1 RCV.WND: capacity - readable. Space reserved for out-of-order data above
  // rcv_nxt() is not subtracted: that data lies inside the window it was sent into.
  std::size_t window() const { return capacity_ - readable_; }
  bool has_out_of_order() const { return !out_of_order_.empty(); }

  enum class Accept {
    in_order,        // new bytes at rcv_nxt(): rcv_nxt() advanced
    out_of_order,    // new bytes above rcv_nxt(), held for later
    duplicate,       // nothing new: every byte was already received (a D-SACK is pending)
    outside_window,  // no byte inside [rcv_nxt(), rcv_nxt() + window())
    too_fragmented,  // would need more than kMaxOutOfOrderRanges ranges: dropped, nothing stored
  };
  struct Result {
    Accept kind;
    std::size_t new_bytes;  // bytes stored for the first time
  };

  // Stores the part of [seq, seq + data.size()) inside [rcv_nxt(), rcv_nxt() + window()) and
  // advances rcv_nxt() over contiguous data, absorbing out-of-order ranges that become contiguous.
  // Bytes of the segment already received make a D-SACK report (RFC 2883 §4), replacing any
  // pending one. `data` is copied. Precondition: !data.empty() (SYN, FIN and pure ACKs carry
  // no text for this buffer).
  Result write(SeqNum seq, wire::Bytes data);
  // Moves up to out.size() in-order bytes into `out`; returns the number moved.
  std::size_t read(wire::MutableBytes out);
  // Like read() without consuming (MSG_PEEK).
  std::size_t peek(wire::MutableBytes out) const;
  // The in-order bytes waiting, in place: one piece, or two where the ring wraps. Valid until
  // the next call that changes the buffer.
  std::array<wire::Bytes, 2> readable_bytes() const;
  // Drops the first `count` in-order bytes (at most readable()), as read() does after copying.
  void consume(std::size_t count);

  // Fills `out` with the SACK blocks to send, returns how many: first a pending D-SACK (RFC 2883
  // §4: the duplicate of the last duplicate-carrying write()), then the out-of-order ranges, the
  // one that changed most recently first (RFC 2018 §4: the first block holds the segment that
  // triggered this ACK, the others repeat the most recently reported ones).
  std::size_t sack_blocks(std::span<SeqRange> out) const;
  // The caller sent the ACK carrying the D-SACK block: RFC 2883 §4 reports it only once.
  void clear_dsack() { dsack_.reset(); }

  // Frees the storage when nothing is held; returns true if memory was released. Not automatic:
  // a bulk receiver empties the buffer between segments and would then allocate per segment. The
  // owner calls it when the connection goes idle (or after close).
  bool release_if_empty();

 private:
  struct HeldRange {
    SeqRange range;
    std::uint64_t last_change;  // arrival order of the newest segment that touched it
  };

  // Bytes from the first unread byte to one past the highest out-of-order byte.
  std::size_t held_extent() const;
  // Number of out-of-order ranges after adding `part` (above rcv_nxt_).
  std::size_t ranges_after_adding(const SeqRange& part) const;
  // The first piece of `part` already received (the D-SACK to report), if any.
  std::optional<SeqRange> first_duplicate(SeqNum seq, const SeqRange& part) const;
  // Copies the bytes of `part` not held yet; `bytes` starts at part.begin. Returns their count.
  std::size_t store_new_bytes(const SeqRange& part, wire::Bytes bytes);
  // Records `part` as received: joins touching ranges, advances rcv_nxt_ when it reaches it.
  void record(const SeqRange& part);
  // Storage index of the byte `seq` (rcv_nxt_ <= seq, within the held extent or window).
  std::size_t index_of(SeqNum seq) const;
  // Makes the storage at least `needed` bytes, keeping the held extent.
  void reserve(std::size_t needed);
  // Copies `count` bytes starting at the first unread byte into `out`.
  void copy_from_head(std::size_t count, std::byte* out) const;

  std::unique_ptr<std::byte[]> storage_;
  std::size_t storage_size_ = 0;
  std::size_t head_ = 0;  // index in storage_ of the first unread in-order byte
  std::size_t readable_ = 0;
  std::size_t capacity_;
  SeqNum rcv_nxt_;
  std::vector<HeldRange> out_of_order_;  // sorted, disjoint, not touching, all above rcv_nxt_
  std::uint64_t changes_ = 0;            // source of HeldRange::last_change
  std::optional<SeqRange> dsack_;
};

}  // namespace tapstack
