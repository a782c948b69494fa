#include "tapdev/netlink.hpp"

#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <array>
#include <cerrno>

#include "tapdev/errno_text.hpp"

namespace tapstack::tapdev {
namespace {

// Large enough for any answer to the requests made here (netlink(7) suggests 8 KiB or a page).
constexpr std::size_t kReceiveBufferSize = 32 * 1024;

std::string failure(std::string_view what, int error) {
  return std::string{what} + ": " + errno_text(error);
}

Result<void, std::string> set_option(int fd, int level, int name, int value,
                                     std::string_view what) {
  if (::setsockopt(fd, level, name, &value, sizeof(value)) < 0) {
    return unexpected(failure(what, errno));
  }
  return {};
}

Result<void, std::string> ignore_reply(const NetlinkMessage& message) {
  return unexpected("unexpected netlink message type " + std::to_string(message.header.nlmsg_type));
}

}  // namespace

Result<Netlink, std::string> Netlink::open() {
  UniqueFd socket{::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE)};
  if (!socket) return unexpected(failure("cannot open rtnetlink socket", errno));
  // Extended ACKs carry the kernel's own explanation; capped ACKs do not echo our request.
  // Both are optional features: failing to enable them only loses detail.
  (void)set_option(socket.get(), SOL_NETLINK, NETLINK_EXT_ACK, 1, "NETLINK_EXT_ACK");
  (void)set_option(socket.get(), SOL_NETLINK, NETLINK_CAP_ACK, 1, "NETLINK_CAP_ACK");
  // Start-up must never hang on a lost answer.
  const timeval timeout{.tv_sec = 5, .tv_usec = 0};
  if (::setsockopt(socket.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout)) < 0) {
    return unexpected(failure("SO_RCVTIMEO on rtnetlink socket", errno));
  }
  return Netlink{std::move(socket)};
}

Result<int, std::string> Netlink::link_index(std::string_view name) {
  NetlinkRequest request{RTM_GETLINK, NLM_F_ACK, next_seq_++};
  ifinfomsg link{};
  link.ifi_family = AF_UNSPEC;
  request.append_header(link);
  request.add_string(IFLA_IFNAME, name);
  int index = 0;
  auto result = transact(request, "RTM_GETLINK " + std::string{name},
                         [&index](const NetlinkMessage& reply) -> Result<void, std::string> {
                           auto parsed = parse_link_index(reply);
                           if (!parsed) return unexpected(parsed.error());
                           index = *parsed;
                           return {};
                         });
  if (!result) return unexpected(result.error());
  if (index <= 0) return unexpected("RTM_GETLINK " + std::string{name} + ": no link in the answer");
  return index;
}

Result<void, std::string> Netlink::set_mtu(int link_index, std::uint32_t mtu) {
  NetlinkRequest request{RTM_NEWLINK, NLM_F_ACK, next_seq_++};
  ifinfomsg link{};
  link.ifi_family = AF_UNSPEC;
  link.ifi_index = link_index;
  request.append_header(link);
  request.add_u32(IFLA_MTU, mtu);
  return transact(request, "set MTU " + std::to_string(mtu), ignore_reply);
}

Result<void, std::string> Netlink::set_link_up(int link_index) {
  NetlinkRequest request{RTM_NEWLINK, NLM_F_ACK, next_seq_++};
  ifinfomsg link{};
  link.ifi_family = AF_UNSPEC;
  link.ifi_index = link_index;
  link.ifi_flags = IFF_UP;
  link.ifi_change = IFF_UP;  // touch only this flag
  request.append_header(link);
  return transact(request, "set link up", ignore_reply);
}

Result<void, std::string> Netlink::add_address(int link_index, Ipv4Cidr address) {
  NetlinkRequest request{RTM_NEWADDR, NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE, next_seq_++};
  ifaddrmsg header{};
  header.ifa_family = AF_INET;
  header.ifa_prefixlen = address.prefix_len();
  header.ifa_scope = RT_SCOPE_UNIVERSE;
  header.ifa_index = static_cast<std::uint32_t>(link_index);
  request.append_header(header);
  request.add_ipv4(IFA_LOCAL, address.address());
  request.add_ipv4(IFA_ADDRESS, address.address());
  // RFC 3021: a /31 has no broadcast address; a /32 has no subnet.
  if (address.prefix_len() < 31) request.add_ipv4(IFA_BROADCAST, address.broadcast());
  return transact(request, "add address " + address.to_string(), ignore_reply);
}

Result<void, std::string> Netlink::send(const NetlinkRequest& request) {
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;  // nl_pid 0: the kernel
  const auto bytes = request.bytes();
  const ssize_t sent = ::sendto(socket_.get(), bytes.data(), bytes.size(), 0,
                                reinterpret_cast<const sockaddr*>(&kernel), sizeof(kernel));
  if (sent < 0) return unexpected(errno_text(errno));
  if (static_cast<std::size_t>(sent) != bytes.size()) return unexpected(std::string{"short send"});
  return {};
}

Result<void, std::string> Netlink::transact(const NetlinkRequest& request, std::string_view what,
                                            const MessageHandler& on_reply) {
  const auto prefix = "netlink " + std::string{what};
  if (auto sent = send(request); !sent) return unexpected(prefix + ": " + sent.error());
  std::array<std::byte, kReceiveBufferSize> buffer;
  for (;;) {
    sockaddr_nl sender{};
    socklen_t sender_length = sizeof(sender);
    const ssize_t received = ::recvfrom(socket_.get(), buffer.data(), buffer.size(), MSG_TRUNC,
                                        reinterpret_cast<sockaddr*>(&sender), &sender_length);
    if (received < 0 && errno == EINTR) continue;
    if (received < 0) return unexpected(failure(prefix + ": no answer", errno));
    if (static_cast<std::size_t>(received) > buffer.size()) {
      return unexpected(prefix + ": answer larger than " + std::to_string(buffer.size()) +
                        " bytes");
    }
    if (sender.nl_pid != 0) continue;  // only the kernel may answer
    auto messages = split_messages(std::span{buffer}.first(static_cast<std::size_t>(received)));
    if (!messages) return unexpected(prefix + ": " + messages.error());
    for (const NetlinkMessage& message : *messages) {
      if (message.header.nlmsg_seq != request.seq()) continue;  // a stale answer
      if (message.header.nlmsg_type != NLMSG_ERROR) {
        if (auto handled = on_reply(message); !handled) {
          return unexpected(prefix + ": " + handled.error());
        }
        continue;
      }
      auto ack = parse_ack(message);
      if (!ack) return unexpected(prefix + ": " + ack.error());
      if (ack->error == 0) return {};
      std::string text = prefix + ": " + errno_text(ack->error);
      if (!ack->message.empty()) text += " (" + ack->message + ")";
      return unexpected(text);
    }
  }
}

}  // namespace tapstack::tapdev
