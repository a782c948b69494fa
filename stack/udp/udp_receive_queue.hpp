// A UDP socket's receive queue: whole datagrams with their source and destination addresses
// (RFC 1122 §4.1.3.5), in arrival order, bounded in bytes like Linux's sk_rcvbuf.
#pragma once

#include <cstddef>
#include <deque>
#include <vector>

#include "stack/socket/socket_types.hpp"
#include "stack/wire/bytes.hpp"

namespace tapstack {

class UdpReceiveQueue {
 public:
  // Bytes charged per datagram on top of its payload: the entry, the address and the
  // allocation (Linux charges skb truesize), so empty datagrams are bounded too.
  static constexpr std::size_t kDatagramOverhead = 128;

  struct Datagram {
    SocketAddress source;
    Ipv4Addr destination;  // the address it was sent to: ours, or a broadcast address
    std::vector<std::byte> payload;
  };

  explicit UdpReceiveQueue(std::size_t limit) : limit_(limit) {}

  // Copies `payload` in if its charge fits under the limit, or if the queue is empty (so a
  // datagram larger than the limit can still be received, as Linux admits one past sk_rcvbuf).
  // False: dropped, the caller counts it.
  bool push(SocketAddress source, Ipv4Addr destination, wire::Bytes payload);
  // The oldest datagram. Precondition: !empty().
  const Datagram& front() const { return datagrams_.front(); }
  // Removes the oldest datagram. Precondition: !empty().
  void pop();
  void clear();

  bool empty() const { return datagrams_.empty(); }
  std::size_t size() const { return datagrams_.size(); }
  std::size_t bytes() const { return bytes_; }  // charged, including the overhead
  std::size_t limit() const { return limit_; }
  // A new limit applies to later pushes; datagrams already queued stay.
  void set_limit(std::size_t limit) { limit_ = limit; }

 private:
  static std::size_t charge(std::size_t payload) { return payload + kDatagramOverhead; }

  std::size_t limit_;
  std::size_t bytes_ = 0;
  std::deque<Datagram> datagrams_;
};

}  // namespace tapstack
