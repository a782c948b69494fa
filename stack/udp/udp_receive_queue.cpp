#include "stack/udp/udp_receive_queue.hpp"

#include <cassert>

namespace tapstack {

bool UdpReceiveQueue::push(SocketAddress source, Ipv4Addr destination, wire::Bytes payload) {
  const std::size_t cost = charge(payload.size());
  if (!datagrams_.empty() && bytes_ + cost > limit_) return false;
  datagrams_.push_back(Datagram{source, destination, {payload.begin(), payload.end()}});
  bytes_ += cost;
  return true;
}

void UdpReceiveQueue::pop() {
  assert(!datagrams_.empty());
  bytes_ -= charge(datagrams_.front().payload.size());
  datagrams_.pop_front();
}

void UdpReceiveQueue::clear() {
  datagrams_.clear();
  bytes_ = 0;
}

}  // namespace tapstack
