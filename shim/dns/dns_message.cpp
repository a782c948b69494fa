#include "shim/dns/dns_message.hpp"

#include <cstddef>
#include <optional>

#include "shim/dns/text_words.hpp"

namespace tapstack::dns {
namespace {

// RFC 1035 §2.3.4 size limits and §4.1.1 header layout.
constexpr std::size_t kMaxLabel = 63;
constexpr std::size_t kMaxWireName = 255;
constexpr std::size_t kHeaderSize = 12;
constexpr std::uint16_t kTypeA = 1;
constexpr std::uint16_t kTypeCname = 5;
constexpr std::uint16_t kClassIn = 1;
constexpr std::uint16_t kFlagQr = 0x8000;
constexpr std::uint16_t kFlagTc = 0x0200;
constexpr std::uint16_t kFlagRd = 0x0100;
constexpr int kRcodeServFail = 2;
constexpr int kRcodeNxDomain = 3;
// A longer CNAME chain is taken for a loop: real chains have a few links.
constexpr int kMaxCnameHops = 16;

using Bytes = std::span<const std::uint8_t>;

std::uint16_t read_u16(Bytes message, std::size_t offset) {
  return static_cast<std::uint16_t>((message[offset] << 8) | message[offset + 1]);
}

void append_u16(std::vector<std::uint8_t>& out, std::uint16_t value) {
  out.push_back(static_cast<std::uint8_t>(value >> 8));
  out.push_back(static_cast<std::uint8_t>(value & 0xff));
}

struct DecodedName {
  WireName name;
  std::size_t next = 0;  // where the name ends in place: after its first pointer or root label
};

// Reads the possibly compressed name at `offset` (RFC 1035 §4.1.4). A pointer must point before
// the start of the labels read so far: real pointers refer to a prior occurrence, and the
// strictly decreasing bound makes every walk finish. Label types 01 and 10 (RFC 6891 §5) are
// not valid here.
std::optional<DecodedName> read_name(Bytes message, std::size_t offset) {
  DecodedName decoded;
  std::optional<std::size_t> after_pointer;
  std::size_t position = offset;
  std::size_t bound = offset;  // pointers must point below this
  while (true) {
    if (position >= message.size()) return std::nullopt;
    const std::uint8_t length = message[position];
    if ((length & 0xc0) == 0xc0) {
      if (position + 1 >= message.size()) return std::nullopt;
      const std::size_t target =
          static_cast<std::size_t>((length & 0x3f) << 8) | message[position + 1];
      if (target >= bound) return std::nullopt;
      if (!after_pointer) after_pointer = position + 2;
      position = bound = target;
      continue;
    }
    if ((length & 0xc0) != 0) return std::nullopt;
    if (position + 1 + length > message.size()) return std::nullopt;
    if (decoded.name.size() + 1 + length > kMaxWireName) return std::nullopt;
    decoded.name.insert(decoded.name.end(), message.begin() + static_cast<std::ptrdiff_t>(position),
                        message.begin() + static_cast<std::ptrdiff_t>(position + 1 + length));
    position += 1 + length;
    if (length == 0) break;
  }
  decoded.next = after_pointer.value_or(position);
  return decoded;
}

// RFC 4343 §3, on wire forms: length octets are at most 63, below 'A', so this is exact.
bool same_name(Bytes a, Bytes b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

// One resource record of the answer section (RFC 1035 §4.1.3), RDATA left in the message.
struct Record {
  WireName owner;
  std::uint16_t type = 0;
  std::uint16_t klass = 0;
  std::size_t data = 0;  // offset of RDATA
  std::uint16_t data_length = 0;
};

std::optional<Record> read_record(Bytes message, std::size_t& offset) {
  auto owner = read_name(message, offset);
  if (!owner) return std::nullopt;
  const std::size_t fixed = owner->next;  // TYPE, CLASS, TTL, RDLENGTH: 10 octets
  if (fixed + 10 > message.size()) return std::nullopt;
  Record record{std::move(owner->name), read_u16(message, fixed), read_u16(message, fixed + 2),
                fixed + 10, read_u16(message, fixed + 8)};
  if (record.data + record.data_length > message.size()) return std::nullopt;
  offset = record.data + record.data_length;
  return record;
}

// The CNAME target, which must lie within the RDATA (its pointers may point anywhere earlier).
std::optional<WireName> cname_target(Bytes message, const Record& record) {
  auto target = read_name(message, record.data);
  if (!target || target->next != record.data + record.data_length) return std::nullopt;
  return std::move(target->name);
}

// Follows the CNAME chain from `name` and collects its A records (RFC 1034 §3.6.2, §5.2.2).
Response read_answers(Bytes message, const std::vector<Record>& answers, WireName name) {
  Response response;
  for (int hops = 0;; ++hops) {
    const Record* alias = nullptr;
    for (const Record& record : answers) {
      if (record.type == kTypeCname && record.klass == kClassIn && same_name(record.owner, name)) {
        alias = &record;
        break;
      }
    }
    if (alias == nullptr) break;
    auto target = cname_target(message, *alias);
    if (!target || hops == kMaxCnameHops) return Response{};  // malformed, or a loop
    name = std::move(*target);
  }
  for (const Record& record : answers) {
    if (record.type != kTypeA || record.klass != kClassIn || !same_name(record.owner, name)) {
      continue;
    }
    if (record.data_length != 4) return Response{};  // RFC 1035 §3.4.1: A RDATA is 4 octets
    response.addresses.push_back({message[record.data], message[record.data + 1],
                                  message[record.data + 2], message[record.data + 3]});
  }
  response.status = response.addresses.empty() ? ResponseStatus::no_data : ResponseStatus::ok;
  response.canonical_name = name_to_text(name);
  return response;
}

// RFC 1035 §4.1.2: the question must be the one we asked (QDCOUNT 1, same name, A, IN).
bool echoes_question(Bytes message, Bytes name, std::size_t& offset) {
  if (read_u16(message, 4) != 1) return false;
  auto asked = read_name(message, kHeaderSize);
  if (!asked || asked->next + 4 > message.size() || !same_name(asked->name, name)) return false;
  offset = asked->next + 4;
  return read_u16(message, asked->next) == kTypeA && read_u16(message, asked->next + 2) == kClassIn;
}

Response status_only(ResponseStatus status) {
  Response response;
  response.status = status;
  return response;
}

std::optional<ResponseStatus> rcode_status(int rcode) {
  if (rcode == 0) return std::nullopt;
  if (rcode == kRcodeNxDomain) return ResponseStatus::nxdomain;
  if (rcode == kRcodeServFail) return ResponseStatus::server_failure;
  return ResponseStatus::rejected;
}

}  // namespace

Result<WireName, NameError> encode_name(std::string_view name) {
  if (name.ends_with('.')) name.remove_suffix(1);
  if (name.size() > kMaxWireName - 2) return unexpected(NameError::name_too_long);
  WireName wire;
  wire.reserve(name.size() + 2);
  while (true) {
    const std::size_t dot = name.find('.');
    const std::string_view label = name.substr(0, dot);
    if (label.empty()) return unexpected(NameError::empty_label);
    if (label.size() > kMaxLabel) return unexpected(NameError::label_too_long);
    wire.push_back(static_cast<std::uint8_t>(label.size()));
    wire.insert(wire.end(), label.begin(), label.end());
    if (dot == std::string_view::npos) break;
    name.remove_prefix(dot + 1);
  }
  wire.push_back(0);
  return wire;
}

std::string name_to_text(std::span<const std::uint8_t> wire) {
  std::string text;
  std::size_t position = 0;
  while (position < wire.size() && wire[position] != 0) {
    const std::size_t length = wire[position];
    if (!text.empty()) text.push_back('.');
    for (std::size_t i = position + 1; i <= position + length && i < wire.size(); ++i) {
      const std::uint8_t octet = wire[i];
      if (octet == '.' || octet == '\\') {
        text.push_back('\\');
        text.push_back(static_cast<char>(octet));
      } else if (octet <= 0x20 || octet >= 0x7f) {
        const char escaped[] = {'\\', static_cast<char>('0' + octet / 100),
                                static_cast<char>('0' + octet / 10 % 10),
                                static_cast<char>('0' + octet % 10)};
        text.append(escaped, sizeof escaped);
      } else {
        text.push_back(static_cast<char>(octet));
      }
    }
    position += 1 + length;
  }
  return text.empty() ? "." : text;
}

std::vector<std::uint8_t> build_query(std::span<const std::uint8_t> name, std::uint16_t id) {
  std::vector<std::uint8_t> query;
  query.reserve(kHeaderSize + name.size() + 4);
  append_u16(query, id);
  append_u16(query, kFlagRd);  // QR=0 (query), OPCODE=0 (standard), RD=1
  append_u16(query, 1);        // QDCOUNT
  append_u16(query, 0);        // ANCOUNT
  append_u16(query, 0);        // NSCOUNT
  append_u16(query, 0);        // ARCOUNT: no EDNS(0) OPT record, so answers are ≤ 512 octets
  query.insert(query.end(), name.begin(), name.end());
  append_u16(query, kTypeA);
  append_u16(query, kClassIn);
  return query;
}

Response parse_response(std::span<const std::uint8_t> message, std::uint16_t id,
                        std::span<const std::uint8_t> name) {
  if (message.size() < kHeaderSize || read_u16(message, 0) != id) {
    return status_only(ResponseStatus::mismatch);
  }
  const std::uint16_t flags = read_u16(message, 2);
  const int opcode = (flags >> 11) & 0xf;
  if ((flags & kFlagQr) == 0 || opcode != 0) return status_only(ResponseStatus::mismatch);
  const auto error = rcode_status(flags & 0xf);
  // Some servers answer FORMERR or NOTIMP without echoing the question (RFC 1035 §4.1.1).
  if (error && read_u16(message, 4) == 0) return status_only(*error);
  std::size_t offset = 0;
  if (!echoes_question(message, name, offset)) return status_only(ResponseStatus::mismatch);
  if (error) return status_only(*error);
  // RFC 2181 §9: a truncated response is to be discarded and asked again over TCP. We have no
  // TCP fallback (A answers rarely exceed 512 octets), so the caller treats it as a failure.
  if ((flags & kFlagTc) != 0) return status_only(ResponseStatus::truncated);
  std::vector<Record> answers;
  for (std::uint16_t count = read_u16(message, 6); count > 0; --count) {
    auto record = read_record(message, offset);
    if (!record) return status_only(ResponseStatus::malformed);
    answers.push_back(std::move(*record));
  }
  return read_answers(message, answers, WireName(name.begin(), name.end()));
}

}  // namespace tapstack::dns
