// The bottom of the send path: takes a packet in a PacketBuffer, prepends the Ethernet header
// into its headroom and queues the frame for the device. Also hands out TX buffers with enough
// headroom for every header the layers above will prepend.
#pragma once

#include <algorithm>
#include <optional>

#include "stack/base/ring_queue.hpp"
#include "stack/buffer/packet_buffer.hpp"
#include "stack/link/interface.hpp"
#include "stack/stack.hpp"
#include "stack/wire/ethernet.hpp"

namespace tapstack {

// Room for Ethernet + IPv4 with options + TCP with options, and a virtio-net header.
inline constexpr std::size_t kTxHeadroom = 128;

class LinkOutput {
 public:
  // `gso_pool` holds the 64 KB buffers of TCP segments a device cuts (TSO); it may be empty.
  LinkOutput(BufferPool& pool, BufferPool& gso_pool, RingQueue<TxFrame>& queue,
             RingQueue<TxFrame>& loopback, Counters& counters)
      : pool_(pool), gso_pool_(gso_pool), queue_(queue), loopback_(loopback), counters_(counters) {}

  // An empty buffer with kTxHeadroom reserved and room for an IP packet of `packet_size` bytes
  // in an Ethernet frame: from the GSO pool if an MTU-sized buffer is too small. nullopt
  // (counted) when the pool is exhausted.
  std::optional<PacketBuffer> allocate(std::size_t packet_size);
  // Frames that can be queued now: the smaller of free TX buffers and free queue slots.
  std::size_t room() const {
    return std::min(pool_.available(), queue_.capacity() - queue_.size());
  }
  // Packets larger than the MTU that can be queued now (for TSO).
  std::size_t gso_room() const { return std::min(gso_pool_.available(), room()); }
  // Prepends the Ethernet header and queues the frame; counts a drop when the queue is full.
  void send(const Interface& interface, MacAddr destination, wire::EtherType type,
            PacketBuffer packet);
  // A packet for one of our own addresses: framed to our MAC and queued for the stack's next
  // poll() (loopback), never written to the device.
  void send_to_self(const Interface& interface, wire::EtherType type, PacketBuffer packet);

 private:
  BufferPool& pool_;
  BufferPool& gso_pool_;
  RingQueue<TxFrame>& queue_;
  RingQueue<TxFrame>& loopback_;
  Counters& counters_;
};

}  // namespace tapstack
