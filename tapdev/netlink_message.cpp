#include "tapdev/netlink_message.hpp"

#include <linux/rtnetlink.h>

#include <array>
#include <cstring>
#include <optional>

#include "stack/wire/bytes.hpp"

namespace tapstack::tapdev {
namespace {

constexpr std::size_t kHeaderLength = netlink_align(sizeof(nlmsghdr));
constexpr std::size_t kAttributeHeaderLength = netlink_align(sizeof(nlattr));

// Copies a T out of `bytes` at `offset`; nullopt when it does not fit.
template <typename T>
std::optional<T> load_struct(std::span<const std::byte> bytes, std::size_t offset) {
  static_assert(std::is_trivially_copyable_v<T>);
  if (offset > bytes.size() || bytes.size() - offset < sizeof(T)) return std::nullopt;
  T value;
  std::memcpy(&value, bytes.data() + offset, sizeof(T));
  return value;
}

// The payload of the first attribute of `type` in an attribute stream; nullopt when absent or
// when the stream is malformed (then nothing after the damage can be trusted).
std::optional<std::span<const std::byte>> find_attribute(std::span<const std::byte> attributes,
                                                         std::uint16_t type) {
  std::size_t offset = 0;
  while (auto attribute = load_struct<nlattr>(attributes, offset)) {
    if (attribute->nla_len < sizeof(nlattr) || attribute->nla_len > attributes.size() - offset) {
      return std::nullopt;
    }
    if ((attribute->nla_type & NLA_TYPE_MASK) == type) {
      return attributes.subspan(offset + kAttributeHeaderLength,
                                attribute->nla_len - kAttributeHeaderLength);
    }
    offset += netlink_align(attribute->nla_len);
  }
  return std::nullopt;
}

}  // namespace

NetlinkRequest::NetlinkRequest(std::uint16_t type, std::uint16_t flags, std::uint32_t seq)
    : seq_(seq) {
  nlmsghdr header{};
  header.nlmsg_type = type;
  header.nlmsg_flags = static_cast<std::uint16_t>(NLM_F_REQUEST | flags);
  header.nlmsg_seq = seq;
  header.nlmsg_pid = 0;  // the kernel fills in our port id
  append_header(header);
}

void NetlinkRequest::append_padded(std::span<const std::byte> data) {
  bytes_.insert(bytes_.end(), data.begin(), data.end());
  bytes_.resize(netlink_align(bytes_.size()), std::byte{0});
  const auto length = static_cast<std::uint32_t>(bytes_.size());
  std::memcpy(bytes_.data() + offsetof(nlmsghdr, nlmsg_len), &length, sizeof(length));
}

void NetlinkRequest::add_attribute(std::uint16_t type, std::span<const std::byte> payload) {
  nlattr attribute{};
  attribute.nla_len = static_cast<std::uint16_t>(kAttributeHeaderLength + payload.size());
  attribute.nla_type = type;
  append_padded(std::as_bytes(std::span{&attribute, 1}));
  append_padded(payload);
}

void NetlinkRequest::add_u32(std::uint16_t type, std::uint32_t value) {
  add_attribute(type, std::as_bytes(std::span{&value, 1}));
}

void NetlinkRequest::add_string(std::uint16_t type, std::string_view value) {
  std::vector<std::byte> payload(value.size() + 1, std::byte{0});
  std::memcpy(payload.data(), value.data(), value.size());
  add_attribute(type, payload);
}

void NetlinkRequest::add_ipv4(std::uint16_t type, Ipv4Addr address) {
  std::array<std::byte, 4> payload{};
  wire::store32(payload, 0, address.value());
  add_attribute(type, payload);
}

Result<std::vector<NetlinkMessage>, std::string> split_messages(
    std::span<const std::byte> datagram) {
  std::vector<NetlinkMessage> messages;
  std::size_t offset = 0;
  while (offset < datagram.size()) {
    const auto header = load_struct<nlmsghdr>(datagram, offset);
    if (!header || header->nlmsg_len < kHeaderLength ||
        header->nlmsg_len > datagram.size() - offset) {
      return unexpected("malformed netlink message at offset " + std::to_string(offset));
    }
    messages.push_back(NetlinkMessage{
        *header, datagram.subspan(offset + kHeaderLength, header->nlmsg_len - kHeaderLength)});
    offset += netlink_align(header->nlmsg_len);
  }
  return messages;
}

Result<NetlinkAck, std::string> parse_ack(const NetlinkMessage& message) {
  const auto error = load_struct<nlmsgerr>(message.payload, 0);
  if (!error) return unexpected(std::string{"truncated netlink error message"});
  NetlinkAck ack;
  ack.error = -error->error;
  if ((message.header.nlmsg_flags & NLM_F_ACK_TLVS) == 0) return ack;
  // netlink(7): the TLVs follow the echoed request, which is cut to its header when NLM_F_CAPPED.
  std::size_t tlv_offset = sizeof(nlmsgerr);
  if ((message.header.nlmsg_flags & NLM_F_CAPPED) == 0) {
    tlv_offset += netlink_align(error->msg.nlmsg_len) - kHeaderLength;
  }
  if (tlv_offset > message.payload.size()) return ack;
  if (auto text = find_attribute(message.payload.subspan(tlv_offset), NLMSGERR_ATTR_MSG)) {
    ack.message.assign(text->size(), '\0');
    std::memcpy(ack.message.data(), text->data(), text->size());
    if (const auto nul = ack.message.find('\0'); nul != std::string::npos) ack.message.resize(nul);
  }
  return ack;
}

Result<int, std::string> parse_link_index(const NetlinkMessage& message) {
  if (message.header.nlmsg_type != RTM_NEWLINK) {
    return unexpected("expected RTM_NEWLINK, got netlink message type " +
                      std::to_string(message.header.nlmsg_type));
  }
  const auto link = load_struct<ifinfomsg>(message.payload, 0);
  if (!link) return unexpected(std::string{"truncated RTM_NEWLINK message"});
  return link->ifi_index;
}

}  // namespace tapstack::tapdev
