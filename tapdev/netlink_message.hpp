// rtnetlink message encoding and decoding (netlink(7), rtnetlink(7); RFC 3549 describes the
// protocol). Netlink headers and attributes are in host byte order; only address payloads are in
// network byte order. Structures are copied in and out with memcpy, never cast onto the bytes.
// Pure code: no sockets here (see netlink.hpp), so it is tested on byte fixtures.
#pragma once

#include <linux/netlink.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "stack/base/address.hpp"
#include "stack/base/result.hpp"

namespace tapstack::tapdev {

// NLMSG_ALIGN / NLA_ALIGN: messages and attributes start on 4-byte boundaries.
constexpr std::size_t netlink_align(std::size_t length) {
  return (length + 3) & ~std::size_t{3};
}

// One request message under construction: header, a family header, then attributes.
class NetlinkRequest {
 public:
  // `flags` are NLM_F_* bits besides NLM_F_REQUEST, which is always set.
  NetlinkRequest(std::uint16_t type, std::uint16_t flags, std::uint32_t seq);

  // Appends a fixed family header (ifinfomsg, ifaddrmsg), padded to the alignment.
  template <typename T>
  void append_header(const T& header) {
    static_assert(std::is_trivially_copyable_v<T>);
    append_padded(std::as_bytes(std::span{&header, 1}));
  }
  void add_attribute(std::uint16_t type, std::span<const std::byte> payload);
  void add_u32(std::uint16_t type, std::uint32_t value);        // host byte order
  void add_string(std::uint16_t type, std::string_view value);  // NUL-terminated
  void add_ipv4(std::uint16_t type, Ipv4Addr address);          // network byte order

  std::uint32_t seq() const { return seq_; }
  // The complete message; nlmsg_len is kept up to date by every append.
  std::span<const std::byte> bytes() const { return bytes_; }

 private:
  void append_padded(std::span<const std::byte> data);

  std::uint32_t seq_;
  std::vector<std::byte> bytes_;
};

// One message of a received datagram. `payload` borrows the datagram's bytes.
struct NetlinkMessage {
  nlmsghdr header{};
  std::span<const std::byte> payload;
};

// Splits a datagram into its messages; an error when a length field is impossible.
Result<std::vector<NetlinkMessage>, std::string> split_messages(
    std::span<const std::byte> datagram);

// The kernel's answer to a request (NLMSG_ERROR): `error` is a positive errno, 0 for success;
// `message` is the extended ACK text (NLMSGERR_ATTR_MSG) when the kernel gave one.
struct NetlinkAck {
  int error = 0;
  std::string message;
};
// Precondition: message.header.nlmsg_type == NLMSG_ERROR.
Result<NetlinkAck, std::string> parse_ack(const NetlinkMessage& message);

// The interface index of an RTM_NEWLINK message (the answer to RTM_GETLINK).
Result<int, std::string> parse_link_index(const NetlinkMessage& message);

}  // namespace tapstack::tapdev
