// Building DNS messages byte by byte for the resolver tests (RFC 1035 §4.1 layout).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "shim/dns/dns_message.hpp"

namespace tapstack::dns::test {

inline std::vector<std::uint8_t> from_hex(std::string_view hex) {
  std::vector<std::uint8_t> bytes;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    bytes.push_back(
        static_cast<std::uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return bytes;
}

class Message {
 public:
  Message& u8(std::uint8_t value) {
    bytes_.push_back(value);
    return *this;
  }
  Message& u16(std::uint16_t value) {
    return u8(static_cast<std::uint8_t>(value >> 8)).u8(static_cast<std::uint8_t>(value));
  }
  Message& raw(std::initializer_list<std::uint8_t> values) {
    bytes_.insert(bytes_.end(), values);
    return *this;
  }
  // ID, flags, QDCOUNT, ANCOUNT, NSCOUNT=0, ARCOUNT=0.
  Message& header(std::uint16_t id, std::uint16_t flags, std::uint16_t questions,
                  std::uint16_t answers) {
    return u16(id).u16(flags).u16(questions).u16(answers).u16(0).u16(0);
  }
  // Labels of a dotted name; ends with the root label unless `then_pointer` follows.
  Message& labels(std::string_view dotted) {
    std::size_t start = 0;
    while (start < dotted.size()) {
      const std::size_t dot = std::min(dotted.find('.', start), dotted.size());
      u8(static_cast<std::uint8_t>(dot - start));
      for (std::size_t i = start; i < dot; ++i) u8(static_cast<std::uint8_t>(dotted[i]));
      start = dot + 1;
    }
    return *this;
  }
  Message& name(std::string_view dotted) { return labels(dotted).u8(0); }
  Message& pointer(std::uint16_t offset) {
    return u16(static_cast<std::uint16_t>(0xc000 | offset));
  }
  Message& question(std::string_view dotted, std::uint16_t type = 1) {
    return name(dotted).u16(type).u16(1);
  }
  // TYPE, CLASS IN, TTL 60, RDLENGTH; the owner name comes before, the RDATA after.
  Message& record(std::uint16_t type, std::uint16_t length) {
    return u16(type).u16(1).u16(0).u16(60).u16(length);
  }
  Message& a_record(Ipv4Address address) {
    record(1, 4);
    for (const std::uint8_t octet : address) u8(octet);
    return *this;
  }
  std::size_t size() const { return bytes_.size(); }
  const std::vector<std::uint8_t>& bytes() const { return bytes_; }

 private:
  std::vector<std::uint8_t> bytes_;
};

// The wire form of `dotted` (which the test expects to be valid).
inline WireName wire(std::string_view dotted) {
  return encode_name(dotted).value_or(WireName{});
}

// A response to `query` (as build_query makes it): the question echoed, RCODE `rcode`, and an A
// record per address, its owner a pointer to the question name.
inline std::vector<std::uint8_t> response_to(std::span<const std::uint8_t> query, int rcode,
                                             const std::vector<Ipv4Address>& addresses = {}) {
  std::vector<std::uint8_t> reply(query.begin(), query.end());
  reply[2] = static_cast<std::uint8_t>(reply[2] | 0x80);  // QR
  reply[3] = static_cast<std::uint8_t>((reply[3] & 0xf0) | rcode);
  reply[7] = static_cast<std::uint8_t>(addresses.size());
  Message answers;
  for (const Ipv4Address& address : addresses) answers.pointer(12).a_record(address);
  reply.insert(reply.end(), answers.bytes().begin(), answers.bytes().end());
  return reply;
}

}  // namespace tapstack::dns::test
