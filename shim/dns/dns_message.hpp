// DNS messages for IPv4 lookups (RFC 1035 §4): building an A query and reading its response.
//
// Only what a stub resolver needs: one question (QTYPE A, QCLASS IN) with recursion desired, and
// from the response the RCODE, the TC bit and the A records of the queried name after following
// its CNAME chain. The response is untrusted input: every read is bounds-checked and compression
// pointers can neither loop nor leave the message.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "stack/base/result.hpp"

namespace tapstack::dns {

// An IPv4 address in network byte order, as in an A record's RDATA (RFC 1035 §3.4.1).
using Ipv4Address = std::array<std::uint8_t, 4>;

// A domain name in uncompressed wire form (RFC 1035 §3.1): length-prefixed labels ending with
// the zero-length root label.
using WireName = std::vector<std::uint8_t>;

enum class NameError { empty_label, label_too_long, name_too_long };

// The wire form of a dotted name; one trailing '.' (an absolute name) is allowed. RFC 1035
// §2.3.4: labels of 1..63 octets, at most 255 octets in wire form (253 characters of text).
// No escapes: every octet but '.' is label data.
Result<WireName, NameError> encode_name(std::string_view name);

// The dotted text of a wire name without the trailing '.'. Octets that cannot appear
// unambiguously in text ('.', '\', non-printable) are escaped as "\." or "\DDD" as BIND's
// dn_expand does (RFC 4343 §2.1).
std::string name_to_text(std::span<const std::uint8_t> wire);

// A standard query (RFC 1035 §4.1.1: OPCODE 0, RD=1) with one question `name` QTYPE A QCLASS IN.
// `id` should be unpredictable (RFC 5452 §9.2): with the question it ties a response to us.
std::vector<std::uint8_t> build_query(std::span<const std::uint8_t> name, std::uint16_t id);

enum class ResponseStatus {
  ok,              // NOERROR with at least one A record for the (canonical) name
  no_data,         // NOERROR but no A record: the name exists with other types (RFC 2308 §2.2)
  nxdomain,        // RCODE 3: the name does not exist (RFC 2308 §2.1)
  server_failure,  // RCODE 2: the server could not answer; another server may
  rejected,        // any other RCODE (FORMERR, NOTIMP, REFUSED...): the server declined
  truncated,       // TC=1: the answer did not fit in UDP; we do not retry over TCP
  malformed,       // the response is ours but its answer section cannot be read
  mismatch,        // not a response to our query (id, QR, OPCODE or question differ)
};

struct Response {
  ResponseStatus status = ResponseStatus::malformed;
  std::vector<Ipv4Address> addresses;  // in the order of the answer section
  std::string canonical_name;          // the end of the CNAME chain, as text (ok only)
};

// Reads `message` as the response to the query with `id` for `name` (as built by build_query).
// A `mismatch` is to be dropped while waiting on for the real response (RFC 5452 §9.1).
Response parse_response(std::span<const std::uint8_t> message, std::uint16_t id,
                        std::span<const std::uint8_t> name);

}  // namespace tapstack::dns
