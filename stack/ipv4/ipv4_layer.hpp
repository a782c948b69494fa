// IPv4 for a host (RFC 791, RFC 1122 §3.2-3.3): receive-side validation with every drop counted,
// reassembly, local delivery; send-side routing, source selection and fragmentation.
// Not a router: packets for other hosts are dropped, never forwarded.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "stack/arp/arp_layer.hpp"
#include "stack/base/random.hpp"
#include "stack/base/result.hpp"
#include "stack/ipv4/reassembly.hpp"
#include "stack/ipv4/route_table.hpp"
#include "stack/link/interface.hpp"
#include "stack/link/link_output.hpp"
#include "stack/link/receive_offload.hpp"
#include "stack/wire/ipv4.hpp"

namespace tapstack {

// A datagram addressed to us, ready for its transport protocol. Views are borrowed: valid only
// during the delivery call.
struct Ipv4Datagram {
  InterfaceId interface = 0;
  Ipv4Addr source;
  Ipv4Addr destination;
  std::uint8_t protocol = 0;
  std::uint8_t ttl = 0;
  std::uint8_t tos = 0;
  // Sent to a broadcast address, at the link or IP layer: never answered with an ICMP error
  // (RFC 1122 §3.2.2) nor an echo reply.
  bool broadcast = false;
  wire::Bytes header;  // the received header; empty for a reassembled datagram
  wire::Bytes payload;
  // What the device said of the packet (Stack::receive): a checksum it vouched for is not
  // verified again; a GSO packet stands for several. Empty for a reassembled datagram.
  ReceiveOffload offload;
};

struct Ipv4SendParams {
  Ipv4Addr source;  // unspecified: the route's preferred source
  Ipv4Addr destination;
  std::uint8_t protocol = 0;
  std::uint8_t ttl = 0;  // 0: the stack default
  std::uint8_t tos = 0;
  bool dont_fragment = false;
  // Set by TCP: the payload starts with a transport header whose checksum field, this many bytes
  // into it, is left to the IP layer. It computes the checksum, or, on an interface with
  // offloads, stores the pseudo-header sum for the device to finish (virtio-net NEEDS_CSUM).
  // Requires dont_fragment: the checksum is finished per packet.
  std::optional<std::uint16_t> transport_checksum_offset;
  // TCP segmentation offload (TSO): the device cuts the payload after the transport header
  // into segments of gso_size bytes, so the datagram may exceed the MTU (up to 64 KB). Only on
  // an interface with offloads and with transport_checksum_offset; 0: none.
  std::uint16_t gso_size = 0;
};

enum class Ipv4SendError { no_route, too_big, no_buffer };

class Ipv4Layer {
 public:
  struct Settings {
    std::uint8_t default_ttl = 64;
    ReassemblySettings reassembly;
  };

  Ipv4Layer(const Settings& settings, InterfaceTable& interfaces, RouteTable& routes, ArpLayer& arp,
            LinkOutput& link, Random& random, Counters& counters);

  // Validates one received packet (the Ethernet payload). Returns the datagram to deliver, if
  // this packet is (or completes) one addressed to us; its views live until the next call.
  // `looped_back`: the packet came from this stack (LinkOutput::send_to_self), not the wire.
  std::optional<Ipv4Datagram> receive(Interface& interface, wire::Bytes packet, bool link_broadcast,
                                      Instant now, bool looped_back = false);

  // Sends a datagram whose payload is the concatenation of `parts`, fragmenting it when it
  // exceeds the route's MTU (RFC 791 §3.2). The parts are copied; the caller keeps them.
  Result<void, Ipv4SendError> send(const Ipv4SendParams& params, std::span<const wire::Bytes> parts,
                                   Instant now);

  // Frames the link can still queue (see LinkOutput::room).
  std::size_t tx_room() const { return link_.room(); }
  // Datagrams beyond the MTU (for TSO) the link can still queue (LinkOutput::gso_room).
  std::size_t gso_room() const { return link_.gso_room(); }
  void poll(Instant now) { reassembly_.poll(now); }
  Instant next_deadline() const { return reassembly_.next_deadline(); }
  const ReassemblyQueue& reassembly() const { return reassembly_; }

 private:
  bool acceptable_source(Ipv4Addr source) const;
  bool addressed_to_us(Ipv4Addr destination) const;
  bool emit_packets(Interface& interface, Ipv4Addr next_hop, const wire::Ipv4Header& base,
                    const Ipv4SendParams& params, std::span<const wire::Bytes> parts,
                    std::size_t payload_size, Instant now);
  void finish_transport(PacketBuffer& buffer, const wire::Ipv4Header& header,
                        const Ipv4SendParams& params, bool offload) const;

  Settings settings_;
  InterfaceTable& interfaces_;
  RouteTable& routes_;
  ArpLayer& arp_;
  LinkOutput& link_;
  Counters& counters_;
  ReassemblyQueue reassembly_;
  std::uint16_t next_id_;
};

}  // namespace tapstack
