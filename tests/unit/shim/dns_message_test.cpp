// DNS query building and response reading (shim/dns/dns_message.hpp): exact bytes against a
// query captured from dig, responses captured from dnsmasq, and hostile responses.
#include "shim/dns/dns_message.hpp"

#include <gtest/gtest.h>

#include <random>

#include "unit/shim/dns_test_messages.hpp"

namespace tapstack::dns {
namespace {

using test::from_hex;
using test::Message;
using test::wire;

constexpr std::uint16_t kResponseFlags = 0x8180;  // QR, RD, RA, NOERROR

TEST(EncodeName, WritesLengthPrefixedLabelsEndingWithTheRootLabel) {
  const WireName expected = {3, 'w', 'w', 'w', 7, 'E', 'x', 'a', 'm', 'p', 'l', 'e', 0};
  EXPECT_EQ(encode_name("www.Example"), expected);
  EXPECT_EQ(encode_name("www.Example."), expected);  // absolute: the same name
}

TEST(EncodeName, EnforcesLabelAndNameLengths) {
  const std::string label63(63, 'a');
  EXPECT_TRUE(encode_name(label63 + ".test"));
  EXPECT_EQ(encode_name(label63 + "a.test").error(), NameError::label_too_long);
  // 253 characters of text are 255 octets on the wire (RFC 1035 §2.3.4).
  std::string longest = label63 + "." + label63 + "." + label63 + "." + std::string(61, 'b');
  ASSERT_EQ(longest.size(), 253u);
  EXPECT_EQ(encode_name(longest).value().size(), 255u);
  EXPECT_TRUE(encode_name(longest + "."));
  EXPECT_EQ(encode_name(longest + "b").error(), NameError::name_too_long);
}

TEST(EncodeName, RejectsEmptyLabels) {
  for (const char* name : {"", ".", "a..b", ".a", "a.."}) {
    EXPECT_EQ(encode_name(name).error(), NameError::empty_label) << name;
  }
}

TEST(NameToText, JoinsLabelsAndEscapesAmbiguousOctets) {
  EXPECT_EQ(name_to_text(wire("www.example.test")), "www.example.test");
  const WireName odd = {3, 'a', '.', 'b', 2, '\\', 0x07, 0};
  EXPECT_EQ(name_to_text(odd), "a\\.b.\\\\\\007");
  EXPECT_EQ(name_to_text(WireName{0}), ".");
}

TEST(BuildQuery, MatchesTheQueryDigSends) {
  // Captured from `dig +noedns +noadflag @127.0.0.1 www.Example.com A` (dig 9.18): header
  // id 0x9eef, flags RD only, QDCOUNT 1; QNAME; QTYPE A; QCLASS IN.
  const auto expected =
      from_hex("9eef0100000100000000000003777777074578616d706c6503636f6d0000010001");
  EXPECT_EQ(build_query(wire("www.Example.com"), 0x9eef), expected);
}

TEST(ParseResponse, ReadsACnameAnswerCapturedFromDnsmasq) {
  // dnsmasq --cname=alias.test,target.test --host-record=target.test,10.5.5.5 (and 10.5.5.6):
  // the CNAME target and both A owners are compression pointers.
  const auto reply = from_hex(
      "12348580000100030000000005616c69617304746573740000010001c00c0005000100000000000d0674617267"
      "6574047465737400c028000100010000000000040a050505c028000100010000000000040a050506");
  const Response response = parse_response(reply, 0x1234, wire("alias.test"));
  EXPECT_EQ(response.status, ResponseStatus::ok);
  EXPECT_EQ(response.addresses, (std::vector<Ipv4Address>{{10, 5, 5, 5}, {10, 5, 5, 6}}));
  EXPECT_EQ(response.canonical_name, "target.test");
}

TEST(ParseResponse, ReadsAnNxdomainCapturedFromDnsmasq) {
  const auto reply = from_hex("432181830001000000000000066e6f73756368027a7a0000010001");
  EXPECT_EQ(parse_response(reply, 0x4321, wire("nosuch.zz")).status, ResponseStatus::nxdomain);
  EXPECT_EQ(parse_response(reply, 0x4322, wire("nosuch.zz")).status, ResponseStatus::mismatch);
}

// The question "www.example.test" at offset 12, and where its suffixes start.
struct Asked {
  Message message;
  std::uint16_t www = 12;
  std::uint16_t example = 16;
  std::uint16_t test = 24;
};

Asked asked(std::uint16_t flags, std::uint16_t answers, std::uint16_t id = 7) {
  Asked a;
  a.message.header(id, flags, 1, answers).question("www.example.test");
  return a;
}

TEST(ParseResponse, FollowsACompressedCnameChainAndIgnoresOtherOwners) {
  Asked a = asked(kResponseFlags, 5);
  Message& m = a.message;
  m.pointer(a.example).a_record({10, 9, 9, 9});  // another name's A record: not ours
  m.pointer(a.www).record(5, 6);
  const auto cdn = static_cast<std::uint16_t>(m.size());
  m.labels("cdn").pointer(a.example);  // cdn.example.test
  m.pointer(cdn).record(5, 7);
  const auto edge = static_cast<std::uint16_t>(m.size());
  m.labels("edge").pointer(a.test);  // edge.test
  m.pointer(edge).a_record({10, 1, 2, 3});
  m.pointer(edge).a_record({10, 1, 2, 4});
  const Response response = parse_response(m.bytes(), 7, wire("www.example.test"));
  EXPECT_EQ(response.status, ResponseStatus::ok);
  EXPECT_EQ(response.addresses, (std::vector<Ipv4Address>{{10, 1, 2, 3}, {10, 1, 2, 4}}));
  EXPECT_EQ(response.canonical_name, "edge.test");
}

TEST(ParseResponse, MatchesNamesCaseInsensitively) {
  Asked a = asked(kResponseFlags, 1);
  a.message.pointer(a.www).a_record({10, 0, 0, 1});
  const Response response = parse_response(a.message.bytes(), 7, wire("WWW.Example.TEST"));
  EXPECT_EQ(response.status, ResponseStatus::ok);
  EXPECT_EQ(response.canonical_name, "WWW.Example.TEST");  // no CNAME: the name as asked
}

TEST(ParseResponse, NoAddressRecordIsNoData) {
  EXPECT_EQ(
      parse_response(asked(kResponseFlags, 0).message.bytes(), 7, wire("www.example.test")).status,
      ResponseStatus::no_data);
  Asked a = asked(kResponseFlags, 1);
  a.message.pointer(a.www).record(5, 2).pointer(a.test);  // CNAME to "test", which has no A
  const Response response = parse_response(a.message.bytes(), 7, wire("www.example.test"));
  EXPECT_EQ(response.status, ResponseStatus::no_data);
}

TEST(ParseResponse, ReportsRcodesAndTruncation) {
  const auto status_for = [](std::uint16_t flags) {
    return parse_response(asked(flags, 0).message.bytes(), 7, wire("www.example.test")).status;
  };
  EXPECT_EQ(status_for(0x8183), ResponseStatus::nxdomain);
  EXPECT_EQ(status_for(0x8182), ResponseStatus::server_failure);
  EXPECT_EQ(status_for(0x8185), ResponseStatus::rejected);  // REFUSED
  EXPECT_EQ(status_for(0x8184), ResponseStatus::rejected);  // NOTIMP
  EXPECT_EQ(status_for(0x8380), ResponseStatus::truncated);
  // FORMERR without the question echoed still counts as this server's answer.
  Message formerr;
  formerr.header(7, 0x8101, 0, 0);
  EXPECT_EQ(parse_response(formerr.bytes(), 7, wire("www.example.test")).status,
            ResponseStatus::rejected);
}

TEST(ParseResponse, SomethingElseThanTheResponseToOurQueryIsAMismatch) {
  const WireName name = wire("www.example.test");
  EXPECT_EQ(parse_response(asked(kResponseFlags, 0, 8).message.bytes(), 7, name).status,
            ResponseStatus::mismatch);  // wrong id
  EXPECT_EQ(parse_response(asked(0x0100, 0).message.bytes(), 7, name).status,
            ResponseStatus::mismatch);  // QR=0: a query
  EXPECT_EQ(parse_response(asked(0x8980, 0).message.bytes(), 7, name).status,
            ResponseStatus::mismatch);  // OPCODE 1
  EXPECT_EQ(
      parse_response(asked(kResponseFlags, 0).message.bytes(), 7, wire("www.example.tes")).status,
      ResponseStatus::mismatch);  // another question
  Message aaaa;
  aaaa.header(7, kResponseFlags, 1, 0).question("www.example.test", 28);
  EXPECT_EQ(parse_response(aaaa.bytes(), 7, name).status, ResponseStatus::mismatch);
  const std::vector<std::uint8_t> short_header = {0, 7, 0x81, 0x80, 0, 1};
  EXPECT_EQ(parse_response(short_header, 7, name).status, ResponseStatus::mismatch);
}

Response parse_asked(const Message& m) {
  return parse_response(m.bytes(), 7, wire("www.example.test"));
}

TEST(ParseResponse, CompressionPointersCannotLoopOrPointForward) {
  Asked self = asked(kResponseFlags, 1);
  self.message.pointer(static_cast<std::uint16_t>(self.message.size())).a_record({1, 2, 3, 4});
  EXPECT_EQ(parse_asked(self.message).status, ResponseStatus::malformed);

  Asked forward = asked(kResponseFlags, 1);
  forward.message.pointer(static_cast<std::uint16_t>(forward.message.size() + 2))
      .a_record({1, 2, 3, 4});
  EXPECT_EQ(parse_asked(forward.message).status, ResponseStatus::malformed);

  // A trap earlier in the message: label "a" then a pointer back to that label. Each pointer
  // points backwards, yet following them would never end.
  Asked trap = asked(kResponseFlags, 2);
  trap.message.pointer(trap.www).record(99, 4);
  const auto label = static_cast<std::uint16_t>(trap.message.size());
  trap.message.raw({1, 'a'}).pointer(label);
  trap.message.pointer(label).a_record({1, 2, 3, 4});
  EXPECT_EQ(parse_asked(trap.message).status, ResponseStatus::malformed);
}

TEST(ParseResponse, NamesLongerThan255OctetsThroughPointersAreMalformed) {
  // Five names of one 60-octet label each pointing at the previous: 306 octets in full.
  Asked a = asked(kResponseFlags, 6);
  std::uint16_t previous = a.www;
  for (int i = 0; i < 5; ++i) {
    a.message.pointer(a.www).record(99, 63);
    const auto here = static_cast<std::uint16_t>(a.message.size());
    a.message.labels(std::string(60, static_cast<char>('a' + i))).pointer(previous);
    previous = here;
  }
  a.message.pointer(previous).a_record({1, 2, 3, 4});
  EXPECT_EQ(parse_asked(a.message).status, ResponseStatus::malformed);
}

TEST(ParseResponse, RecordsThatOverrunTheMessageOrTheirRdataAreMalformed) {
  Asked rdlength = asked(kResponseFlags, 1);
  rdlength.message.pointer(rdlength.www).record(1, 8).raw({10, 0, 0, 1});
  EXPECT_EQ(parse_asked(rdlength.message).status, ResponseStatus::malformed);

  Asked wrong_size = asked(kResponseFlags, 1);
  wrong_size.message.pointer(wrong_size.www).record(1, 5).raw({10, 0, 0, 1, 9});
  EXPECT_EQ(parse_asked(wrong_size.message).status, ResponseStatus::malformed);

  Asked missing = asked(kResponseFlags, 2);  // ANCOUNT 2, one record present
  missing.message.pointer(missing.www).a_record({10, 0, 0, 1});
  EXPECT_EQ(parse_asked(missing.message).status, ResponseStatus::malformed);

  Asked cname = asked(kResponseFlags, 1);  // the CNAME target runs past its RDLENGTH
  cname.message.pointer(cname.www).record(5, 2).labels("ab").pointer(cname.test);
  EXPECT_EQ(parse_asked(cname.message).status, ResponseStatus::malformed);

  Asked reserved = asked(kResponseFlags, 1);  // label type 01 (RFC 6891 §5)
  reserved.message.raw({0x41, 'x', 0}).a_record({10, 0, 0, 1});
  EXPECT_EQ(parse_asked(reserved.message).status, ResponseStatus::malformed);
}

TEST(ParseResponse, CnameLoopsAreMalformed) {
  Asked a = asked(kResponseFlags, 2);
  a.message.pointer(a.www).record(5, 5);
  const auto other = static_cast<std::uint16_t>(a.message.size());
  a.message.name("loop");
  a.message.pointer(other).record(5, 2).pointer(a.www);  // loop -> www.example.test
  EXPECT_EQ(parse_asked(a.message).status, ResponseStatus::malformed);
}

// Every prefix and random corruptions of a valid response: never a crash (the sanitizer build
// checks reads), and addresses only come with `ok`.
TEST(ParseResponse, SurvivesTruncatedAndCorruptedInput) {
  Asked a = asked(kResponseFlags, 2);
  a.message.pointer(a.www).record(5, 4).labels("x").pointer(a.test);
  a.message.pointer(static_cast<std::uint16_t>(a.message.size() - 4)).a_record({10, 0, 0, 1});
  const auto valid = a.message.bytes();
  ASSERT_EQ(parse_asked(a.message).status, ResponseStatus::ok);
  const WireName name = wire("www.example.test");
  for (std::size_t length = 0; length < valid.size(); ++length) {
    const auto status = parse_response(std::span(valid).first(length), 7, name).status;
    EXPECT_TRUE(status == ResponseStatus::mismatch || status == ResponseStatus::malformed)
        << length;
  }
  std::mt19937 random(1035);
  for (int round = 0; round < 20000; ++round) {
    auto corrupt = valid;
    for (int flips = 1 + round % 4; flips > 0; --flips) {
      corrupt[random() % corrupt.size()] = static_cast<std::uint8_t>(random());
    }
    const Response response = parse_response(corrupt, 7, name);
    EXPECT_EQ(response.status == ResponseStatus::ok, !response.addresses.empty());
  }
}

}  // namespace
}  // namespace tapstack::dns
