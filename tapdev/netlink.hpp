// Configures the kernel side of a network device over rtnetlink (rtnetlink(7)): link index, MTU,
// link state and IPv4 addresses. A small hand-written client: one NETLINK_ROUTE socket, one
// request at a time, every request acknowledged (NLM_F_ACK) so failures come back with the
// kernel's errno and, when it gives one, its extended-ACK message.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "stack/base/address.hpp"
#include "stack/base/result.hpp"
#include "tapdev/netlink_message.hpp"
#include "tapdev/unique_fd.hpp"

namespace tapstack::tapdev {

class Netlink {
 public:
  // Opens a NETLINK_ROUTE socket in the caller's network namespace.
  static Result<Netlink, std::string> open();

  // The interface index of the device `name` (RTM_GETLINK).
  Result<int, std::string> link_index(std::string_view name);
  // Sets the device MTU (RTM_NEWLINK with IFLA_MTU). Needs CAP_NET_ADMIN.
  Result<void, std::string> set_mtu(int link_index, std::uint32_t mtu);
  // Sets the device administratively up (RTM_NEWLINK, IFF_UP). Needs CAP_NET_ADMIN.
  Result<void, std::string> set_link_up(int link_index);
  // Assigns `address` with its prefix length (RTM_NEWADDR, local, peer and, below /31, the
  // directed broadcast as `ip addr add ... brd +` does). Replaces an equal address, so attaching
  // to an already configured device succeeds. Needs CAP_NET_ADMIN.
  Result<void, std::string> add_address(int link_index, Ipv4Cidr address);

 private:
  explicit Netlink(UniqueFd socket) : socket_(std::move(socket)) {}

  using MessageHandler = std::function<Result<void, std::string>(const NetlinkMessage&)>;
  // Sends `request` and reads until its ACK; messages of the request other than the ACK go to
  // `on_reply`. `what` names the request in error messages.
  Result<void, std::string> transact(const NetlinkRequest& request, std::string_view what,
                                     const MessageHandler& on_reply);
  Result<void, std::string> send(const NetlinkRequest& request);

  UniqueFd socket_;
  std::uint32_t next_seq_ = 1;
};

}  // namespace tapstack::tapdev
