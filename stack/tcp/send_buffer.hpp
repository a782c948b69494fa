// The send buffer of one TCP connection: bytes the application wrote that the peer has not yet
// acknowledged (RFC 9293 §3.3.1: the data between SND.UNA and what the application queued).
// Retransmissions (RFC 6298, RFC 6675) read the same bytes again, so nothing is freed before
// the cumulative acknowledgment covers it.
#pragma once

#include <array>
#include <cstddef>
#include <memory>

#include "stack/tcp/seq_num.hpp"
#include "stack/wire/bytes.hpp"

namespace tapstack {

// A ring of bytes indexed by sequence number. Storage starts empty and grows by doubling (from
// kInitialStorage) up to capacity(), so an idle connection holds no buffer memory and a bulk
// sender reaches its full buffer after a few writes; in steady state nothing is allocated.
// Not thread-safe; owned by its connection.
class SendBuffer {
 public:
  static constexpr std::size_t kInitialStorage = 4096;

  // `capacity`: the most bytes held at once (SO_SNDBUF). Precondition: capacity < 2^31.
  explicit SendBuffer(std::size_t capacity);

  // Raises or lowers the limit; never below the bytes held now.
  void set_capacity(std::size_t capacity);
  std::size_t capacity() const { return capacity_; }
  std::size_t size() const { return size_; }
  std::size_t free_space() const { return capacity_ - size_; }
  bool empty() const { return size_ == 0; }
  // Bytes of storage allocated (memory accounting; at least size()).
  std::size_t storage_size() const { return storage_size_; }

  // Sets the sequence number of the first byte that will be appended (ISN + 1: the SYN occupies
  // the ISN). Precondition: empty().
  void start(SeqNum first);
  // Sequence number of the oldest unacknowledged byte held (SND.UNA once the SYN is acknowledged).
  SeqNum begin_seq() const { return begin_seq_; }
  // One past the newest byte held: where the next append() goes.
  SeqNum end_seq() const { return begin_seq_ + static_cast<std::uint32_t>(size_); }

  // Copies as much of `data` as fits in free_space(); returns the number of bytes taken.
  std::size_t append(wire::Bytes data);

  // Up to `max` bytes starting at `from`, as at most two spans (the second is non-empty only when
  // the bytes wrap around the ring). The spans stay valid until the next non-const call.
  // Precondition: begin_seq() <= from <= end_seq().
  std::array<wire::Bytes, 2> peek(SeqNum from, std::size_t max) const;
  // Copies up to out.size() bytes starting at `from` into `out` (e.g. a TX packet buffer);
  // returns the number copied. Same precondition as peek().
  std::size_t copy_out(SeqNum from, wire::MutableBytes out) const;

  // Frees the bytes before `ack` (a new SND.UNA). An `ack` at or before begin_seq() changes
  // nothing; one beyond end_seq() (it also covers our FIN) frees everything.
  void acknowledge(SeqNum ack);

  // Frees the storage when nothing is held; returns true if memory was released. Not done on
  // every emptying because a busy connection empties between bursts and would then allocate per
  // burst: the owner calls it when the connection goes idle (or after close).
  bool release_if_empty();

 private:
  // Makes the storage at least `needed` bytes (needed <= capacity_), keeping the held bytes.
  void reserve(std::size_t needed);

  std::unique_ptr<std::byte[]> storage_;
  std::size_t storage_size_ = 0;
  std::size_t head_ = 0;  // index in storage_ of the byte at begin_seq_
  std::size_t size_ = 0;
  std::size_t capacity_;
  SeqNum begin_seq_;
};

}  // namespace tapstack
