// An Ethernet interface of the stack and the table of all of them. Each interface has its own
// MAC, MTU, addresses and neighbour cache. Interfaces are never removed while the stack runs, so
// references into the table stay valid.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "stack/arp/neighbor_cache.hpp"
#include "stack/base/address.hpp"
#include "stack/base/interface_id.hpp"
#include "stack/base/time.hpp"

namespace tapstack {

struct Interface {
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
  std::vector<Ipv4Cidr> addresses;
  NeighborCache neighbors;
  Instant last_conflict_defense = Instant::min();  // RFC 5227 §2.4 (b): defend once per 10 s
  int announcements_left = 0;                      // RFC 5227 §2.3 ANNOUNCE_NUM
  Instant next_announcement = kNever;

  bool owns(Ipv4Addr a) const;
  // Our address whose subnet contains `a`: the sender address for ARP toward `a`.
  std::optional<Ipv4Addr> address_for_neighbor(Ipv4Addr a) const;
  // True for the limited broadcast and for the directed broadcast of one of our subnets.
  bool is_broadcast(Ipv4Addr a) const;
};

class InterfaceTable {
 public:
  Interface& add(MacAddr mac, std::uint16_t mtu, std::vector<Ipv4Cidr> addresses,
                 const NeighborSettings& neighbor_settings, Counters& counters);
  Interface* find(InterfaceId id);
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
