// The Stack's private state, shared by the files that implement Stack (stack.cpp, the address
// changes in stack_addresses.cpp, the listings in stack_tables.cpp). Not for use outside stack/.
#pragma once

#include <algorithm>

#include "stack/arp/arp_layer.hpp"
#include "stack/icmp/icmp_layer.hpp"
#include "stack/ipv4/ipv4_layer.hpp"
#include "stack/ipv4/route_table.hpp"
#include "stack/link/interface.hpp"
#include "stack/link/link_output.hpp"
#include "stack/stack.hpp"
#include "stack/tcp/tcp_layer.hpp"
#include "stack/udp/udp_layer.hpp"
#include "stack/wire/ethernet.hpp"

namespace tapstack {
namespace stack_detail {

inline std::size_t tx_buffer_size(std::size_t max_packet) {
  const std::size_t bytes = kTxHeadroom + wire::EthernetHeader::kSize + max_packet;
  return (bytes + 63) / 64 * 64;
}

// The largest IPv4 datagram: a TCP segment for the device to cut (TSO) may reach it.
inline constexpr std::size_t kMaxGsoPacket = 65535;

}  // namespace stack_detail

// Owns every table and layer; the layers hold references into it, so it never moves.
struct Stack::Impl {
  explicit Impl(const StackSettings& s)
      : settings(s),
        random(s.seed),
        pool(s.tx_buffer_count, stack_detail::tx_buffer_size(s.max_mtu)),
        gso_pool(s.gso_buffer_count, stack_detail::tx_buffer_size(stack_detail::kMaxGsoPacket)),
        tx_queue(s.tx_queue_frames),
        loopback(s.tx_queue_frames),
        link(pool, gso_pool, tx_queue, loopback, counters),
        arp(link, counters),
        ipv4(Ipv4Layer::Settings{s.default_ttl, s.reassembly}, interfaces, routes, arp, link,
             random, counters),
        icmp(ipv4, counters),
        tcp(s.tcp, ipv4, routes, interfaces, random, counters),
        udp(s.udp, std::min(s.tx_queue_frames, s.tx_buffer_count), ipv4, routes, interfaces, random,
            counters) {
    icmp.set_error_handler(static_cast<std::uint8_t>(wire::IpProtocol::udp), udp);
  }

  void receive(Interface& interface, wire::Bytes frame, Instant now, bool looped_back = false,
               const ReceiveOffload& offload = {});
  void deliver(const Ipv4Datagram& datagram, Instant now);

  StackSettings settings;
  Counters counters;
  Random random;
  BufferPool pool;
  BufferPool gso_pool;  // 64 KB buffers for TSO (StackSettings::gso_buffer_count)
  RingQueue<TxFrame> tx_queue;
  RingQueue<TxFrame> loopback;  // packets to our own addresses, received at the next poll()
  InterfaceTable interfaces;
  RouteTable routes;
  LinkOutput link;
  ArpLayer arp;
  Ipv4Layer ipv4;
  IcmpLayer icmp;
  TcpLayer tcp;
  UdpLayer udp;  // after tcp: its random draws leave TCP's sequence as it was
};

}  // namespace tapstack
