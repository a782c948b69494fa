#include "stack/ipv4/ipv4_layer.hpp"

#include <algorithm>
#include <cassert>
#include <cstring>

#include "stack/wire/checksum.hpp"

namespace tapstack {
namespace {

constexpr std::size_t kMaxDatagram = 65535;

Counter counter_for(wire::Ipv4Error error) {
  switch (error) {
    case wire::Ipv4Error::truncated:
      return Counter::ipv4_drop_truncated;
    case wire::Ipv4Error::bad_version:
      return Counter::ipv4_drop_bad_version;
    case wire::Ipv4Error::bad_ihl:
      return Counter::ipv4_drop_bad_ihl;
    case wire::Ipv4Error::bad_total_length:
      return Counter::ipv4_drop_bad_total_length;
    case wire::Ipv4Error::bad_checksum:
      return Counter::ipv4_drop_bad_checksum;
    case wire::Ipv4Error::bad_options:
      return Counter::ipv4_drop_bad_options;
  }
  return Counter::ipv4_drop_truncated;
}

// Copies bytes [offset, offset + out.size()) of the concatenated `parts` into `out`.
void copy_range(std::span<const wire::Bytes> parts, std::size_t offset, wire::MutableBytes out) {
  std::size_t written = 0;
  for (const wire::Bytes part : parts) {
    if (written == out.size()) break;
    if (offset >= part.size()) {
      offset -= part.size();
      continue;
    }
    const std::size_t n = std::min(part.size() - offset, out.size() - written);
    std::memcpy(out.data() + written, part.data() + offset, n);
    written += n;
    offset = 0;
  }
}

}  // namespace

Ipv4Layer::Ipv4Layer(const Settings& settings, InterfaceTable& interfaces, RouteTable& routes,
                     ArpLayer& arp, LinkOutput& link, Random& random, Counters& counters)
    : settings_(settings),
      interfaces_(interfaces),
      routes_(routes),
      arp_(arp),
      link_(link),
      counters_(counters),
      reassembly_(settings.reassembly, counters),
      next_id_(static_cast<std::uint16_t>(random.next32())) {}

std::optional<Ipv4Datagram> Ipv4Layer::receive(Interface& interface, wire::Bytes packet,
                                               bool link_broadcast, Instant now, bool looped_back) {
  counters_.add(Counter::ipv4_rx_packets);
  const auto view = wire::Ipv4View::check(packet);
  if (!view) {
    counters_.add(counter_for(view.error()));
    return std::nullopt;
  }
  // Our own source address is a reflection on the wire, but normal on loopback.
  if (!acceptable_source(view->source()) && !(looped_back && interfaces_.owns(view->source()))) {
    counters_.add(Counter::ipv4_drop_bad_source);
    return std::nullopt;
  }
  if (!addressed_to_us(view->destination())) {
    counters_.add(Counter::ipv4_drop_not_for_us);
    return std::nullopt;
  }
  // RFC 791 §3.2: a datagram whose time to live is zero must be destroyed.
  if (view->ttl() == 0) {
    counters_.add(Counter::ipv4_drop_ttl_expired);
    return std::nullopt;
  }
  const bool broadcast = link_broadcast || interfaces_.is_broadcast(view->destination());
  Ipv4Datagram datagram{interface.id,    view->source(),  view->destination(), view->protocol(),
                        view->ttl(),     view->tos(),     broadcast,           view->header(),
                        view->payload(), ReceiveOffload{}};  // the caller adds what the device said
  if (view->is_fragment()) {
    const Fragment fragment{
        FragmentKey{view->source(), view->destination(), view->protocol(), view->id()},
        view->fragment_offset(), view->more_fragments(), view->payload()};
    const auto whole = reassembly_.add(fragment, now);
    if (!whole) return std::nullopt;
    datagram.header = {};
    datagram.payload = whole->payload;
  }
  counters_.add(Counter::ipv4_rx_delivered);
  return datagram;
}

bool Ipv4Layer::acceptable_source(Ipv4Addr source) const {
  // RFC 1122 §3.2.1.3: discard datagrams from broadcast, multicast, loopback, reserved or
  // unspecified sources (we are no DHCP server), and from our own addresses (a reflection).
  return !source.is_unspecified() && !source.is_broadcast() && !source.is_multicast() &&
         !source.is_loopback() && !source.is_reserved() && !interfaces_.is_broadcast(source) &&
         !interfaces_.owns(source);
}

bool Ipv4Layer::addressed_to_us(Ipv4Addr destination) const {
  return interfaces_.owns(destination) || interfaces_.is_broadcast(destination);
}

Result<void, Ipv4SendError> Ipv4Layer::send(const Ipv4SendParams& params,
                                            std::span<const wire::Bytes> parts, Instant now) {
  const auto lookup = routes_.lookup(params.destination);
  Interface* interface = lookup ? interfaces_.find(lookup->route->interface) : nullptr;
  if (interface == nullptr) {
    counters_.add(Counter::ipv4_drop_no_route);
    return unexpected(Ipv4SendError::no_route);
  }
  std::size_t payload_size = 0;
  for (const wire::Bytes part : parts) payload_size += part.size();
  assert(!params.transport_checksum_offset || params.dont_fragment);
  assert(params.gso_size == 0 || params.transport_checksum_offset);
  const bool segmented_by_device =
      params.gso_size > 0 && interface->offloads && !interfaces_.owns(params.destination);
  const std::size_t mtu = segmented_by_device ? kMaxDatagram : interface->mtu;
  if (wire::Ipv4Header::kSize + payload_size > kMaxDatagram ||
      (params.dont_fragment && wire::Ipv4Header::kSize + payload_size > mtu)) {
    counters_.add(Counter::ipv4_tx_drop_too_big);
    return unexpected(Ipv4SendError::too_big);
  }
  wire::Ipv4Header header;
  header.tos = params.tos;
  header.id = next_id_++;
  header.dont_fragment = params.dont_fragment;
  header.ttl = params.ttl != 0 ? params.ttl : settings_.default_ttl;
  header.protocol = params.protocol;
  header.source = params.source.is_unspecified() ? lookup->route->preferred_source : params.source;
  header.destination = params.destination;
  // A directed broadcast of an on-link subnet goes to the link broadcast address (RFC 1122
  // §3.3.6); the neighbour cache never resolves it.
  const Ipv4Addr next_hop =
      interface->is_broadcast(params.destination) ? Ipv4Addr::broadcast() : lookup->next_hop;
  if (!emit_packets(*interface, next_hop, header, params, parts, payload_size, now)) {
    return unexpected(Ipv4SendError::no_buffer);
  }
  return {};
}

bool Ipv4Layer::emit_packets(Interface& interface, Ipv4Addr next_hop, const wire::Ipv4Header& base,
                             const Ipv4SendParams& params, std::span<const wire::Bytes> parts,
                             std::size_t payload_size, Instant now) {
  const bool local = interfaces_.owns(base.destination);
  // Looped-back packets never meet a device: their checksum is always computed here.
  const bool offload = interface.offloads && !local;
  // RFC 791 §3.2: every fragment but the last carries a multiple of 8 payload bytes. A segment
  // the device cuts (TSO) goes whole.
  const std::size_t room = offload && params.gso_size > 0 ? kMaxDatagram - wire::Ipv4Header::kSize
                                                          : interface.mtu - wire::Ipv4Header::kSize;
  const std::size_t chunk = payload_size <= room ? payload_size : room / 8 * 8;
  const bool fragmented = payload_size > room;
  if (fragmented) counters_.add(Counter::ipv4_tx_fragmented);
  std::size_t offset = 0;
  do {
    const std::size_t length = std::min(chunk, payload_size - offset);
    auto buffer = link_.allocate(wire::Ipv4Header::kSize + length);
    if (!buffer) return false;
    auto out = buffer->append(wire::Ipv4Header::kSize + length);
    wire::Ipv4Header header = base;
    header.total_length = static_cast<std::uint16_t>(wire::Ipv4Header::kSize + length);
    header.fragment_offset = offset;
    header.more_fragments = offset + length < payload_size;
    header.emit(out);
    copy_range(parts, offset, out.subspan(wire::Ipv4Header::kSize));
    if (params.transport_checksum_offset) finish_transport(*buffer, header, params, offload);
    // Only a datagram beyond the MTU needs cutting; a shorter one goes as it is.
    if (offload && params.gso_size > 0 && header.total_length > interface.mtu) {
      buffer->set_gso_size(params.gso_size);
      counters_.add(Counter::ipv4_tx_gso_packets);
    }
    counters_.add(Counter::ipv4_tx_packets);
    if (fragmented) counters_.add(Counter::ipv4_tx_fragments);
    if (local) {
      link_.send_to_self(interface, wire::EtherType::ipv4, std::move(*buffer));
    } else if (next_hop.is_broadcast()) {
      link_.send(interface, MacAddr::broadcast(), wire::EtherType::ipv4, std::move(*buffer));
    } else {
      arp_.output(interface, next_hop, std::move(*buffer), now);
    }
    offset += length;
  } while (offset < payload_size);
  return true;
}

// The transport checksum the sender left to us (Ipv4SendParams::transport_checksum_offset):
// the pseudo-header sum for the device to finish, or the whole checksum (RFC 1071).
void Ipv4Layer::finish_transport(PacketBuffer& buffer, const wire::Ipv4Header& header,
                                 const Ipv4SendParams& params, bool offload) const {
  const auto transport = buffer.mutable_data().subspan(wire::Ipv4Header::kSize);
  const std::uint16_t field = *params.transport_checksum_offset;
  wire::Checksum sum;
  wire::add_pseudo_header(sum, header.source, header.destination, header.protocol,
                          static_cast<std::uint16_t>(transport.size()));
  if (offload) {
    // virtio-net NEEDS_CSUM (like Linux CHECKSUM_PARTIAL): the field holds the folded
    // pseudo-header sum, uncomplemented; the device sums from the transport header on. A
    // segmenting device adjusts it per segment.
    wire::store16(transport, field, sum.folded());
    buffer.mark_checksum_partial(wire::Ipv4Header::kSize, field);
    return;
  }
  wire::store16(transport, field, 0);
  sum.add(transport);
  wire::store16(transport, field, sum.finish());
}

}  // namespace tapstack
