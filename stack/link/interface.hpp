// An Ethernet interface of the stack and the table of all of them. Each interface has its own
// MAC, MTU, addresses and neighbour cache. Interfaces are never removed while the stack runs, so
// references into the table stay valid; addresses come and go (Stack::add_address).
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <vector>

#include "stack/arp/neighbor_cache.hpp"
#include "stack/base/address.hpp"
#include "stack/base/interface_id.hpp"
#include "stack/base/time.hpp"

namespace tapstack {

// An RFC 5227 §2.3 announcement of one address in progress: `left` more, the next at `next`.
struct Announcement {
  Ipv4Addr address;
  int left = 0;
  Instant next = kNever;
};

struct Interface {
  // Addresses per interface. Every lookup scans them, so keep it small; Linux has no limit, but
  // a TAP daemon needs a handful.
  static constexpr std::size_t kMaxAddresses = 64;

  Interface(InterfaceId id_, MacAddr mac_, std::uint16_t mtu_, std::vector<Ipv4Cidr> addresses_,
            const NeighborSettings& neighbor_settings, Counters& counters)
      : id(id_),
        mac(mac_),
        mtu(mtu_),
        addresses(std::move(addresses_)),
        neighbors(neighbor_settings, counters) {}

  InterfaceId id;
  MacAddr mac;
  std::uint16_t mtu;  // IP MTU
  // The device finishes transport checksums and cuts TCP segments of up to 64 KB (TSO): a TAP
  // with the virtio-net header's offloads (InterfaceSettings::offloads).
  bool offloads = false;
  std::vector<Ipv4Cidr> addresses;
  NeighborCache neighbors;
  Instant last_conflict_defense = Instant::min();  // RFC 5227 §2.4 (b): defend once per 10 s
  std::vector<Announcement> announcements;         // owned by ArpLayer

  bool owns(Ipv4Addr a) const;
  // The address `a` with its prefix, if it is one of ours.
  std::optional<Ipv4Cidr> find_address(Ipv4Addr a) const;
  // Our address whose subnet contains `a`, the longest such prefix first (as a route lookup
  // would pick it): the sender address for ARP toward `a`.
  std::optional<Ipv4Addr> address_for_neighbor(Ipv4Addr a) const;
  // Forgets the address and any announcement of it still to come. False if it was not ours.
  bool remove_address(Ipv4Addr a);
  // True for the limited broadcast and for the directed broadcast of one of our subnets.
  bool is_broadcast(Ipv4Addr a) const;
};

class InterfaceTable {
 public:
  Interface& add(MacAddr mac, std::uint16_t mtu, std::vector<Ipv4Cidr> addresses,
                 const NeighborSettings& neighbor_settings, Counters& counters);
  Interface* find(InterfaceId id);
  const Interface* find(InterfaceId id) const;
  // Weak host model (RFC 1122 §3.3.4.2), as Linux: an address of any interface is ours.
  bool owns(Ipv4Addr a) const;
  bool is_broadcast(Ipv4Addr a) const;

  auto begin() { return interfaces_.begin(); }
  auto end() { return interfaces_.end(); }
  auto begin() const { return interfaces_.begin(); }
  auto end() const { return interfaces_.end(); }

 private:
  std::vector<std::unique_ptr<Interface>> interfaces_;
};

}  // namespace tapstack
