// The HTTP request parser (daemon/services/http_parser.hpp): heads split across reads,
// pipelined requests, both body framings, and every class of bad input with its status.
#include "daemon/services/http_parser.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tapstack::daemon::services {
namespace {

using Kind = HttpParseStep::Kind;

// What a parser made of a byte stream: the requests, each body, and an error if any.
struct Parsed {
  std::vector<HttpRequest> requests;
  std::vector<std::string> bodies;
  int ends = 0;
  int error = 0;
  std::size_t unconsumed = 0;
};

// Feeds `stream` in pieces of `piece` bytes the way a session does: a buffer that keeps the
// unconsumed tail and gets the next piece appended.
Parsed parse_in_pieces(std::string_view stream, std::size_t piece) {
  HttpRequestParser parser;
  Parsed parsed;
  std::string buffer;
  std::size_t fed = 0;
  for (;;) {
    const HttpParseStep step = parser.parse(buffer);
    // The body points into the buffer: take it before dropping the consumed bytes.
    if (step.kind == Kind::body) parsed.bodies.back() += step.body;
    buffer.erase(0, step.consumed);
    switch (step.kind) {
      case Kind::request:
        parsed.requests.push_back(step.request);
        parsed.bodies.emplace_back();
        continue;
      case Kind::body:
        continue;
      case Kind::end:
        ++parsed.ends;
        continue;
      case Kind::error:
        parsed.error = step.status;
        return parsed;
      case Kind::need_more:
        break;
    }
    if (fed == stream.size()) break;
    const std::size_t size = std::min(piece, stream.size() - fed);
    buffer.append(stream.substr(fed, size));
    fed += size;
  }
  parsed.unconsumed = buffer.size();
  return parsed;
}

Parsed parse_all(std::string_view stream) {
  return parse_in_pieces(stream, stream.size() + 1);
}

int error_of(std::string_view stream) {
  return parse_all(stream).error;
}

TEST(HttpRequestParser, ParsesASimpleGet) {
  const Parsed parsed = parse_all("GET /bytes/10?x=1 HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\n");
  ASSERT_EQ(parsed.error, 0);
  ASSERT_EQ(parsed.requests.size(), 1u);
  EXPECT_EQ(parsed.requests[0].method, "GET");
  EXPECT_EQ(parsed.requests[0].target, "/bytes/10?x=1");
  EXPECT_EQ(parsed.requests[0].version_minor, 1);
  EXPECT_TRUE(parsed.requests[0].keep_alive);
  EXPECT_EQ(parsed.requests[0].framing, HttpBodyFraming::none);
  EXPECT_EQ(parsed.ends, 1);
  EXPECT_EQ(parsed.unconsumed, 0u);
}

TEST(HttpRequestParser, GivesTheSameResultForEverySplitOfTheInput) {
  const std::string stream =
      "\r\nPOST /sink HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world"
      "POST /sink HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5;ext=1\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\nTrailer: x\r\n\r\n"
      "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
  for (std::size_t piece = 1; piece <= stream.size(); ++piece) {
    const Parsed parsed = parse_in_pieces(stream, piece);
    ASSERT_EQ(parsed.error, 0) << "piece " << piece;
    ASSERT_EQ(parsed.requests.size(), 3u) << "piece " << piece;
    EXPECT_EQ(parsed.bodies[0], "hello world") << "piece " << piece;
    EXPECT_EQ(parsed.bodies[1], "hello world") << "piece " << piece;
    EXPECT_EQ(parsed.bodies[2], "") << "piece " << piece;
    EXPECT_EQ(parsed.ends, 3) << "piece " << piece;
    EXPECT_EQ(parsed.unconsumed, 0u) << "piece " << piece;
  }
}

TEST(HttpRequestParser, KeepsPipelinedRequestsApart) {
  const Parsed parsed = parse_all(
      "GET /a HTTP/1.1\r\nHost: a\r\n\r\n"
      "HEAD /b HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
      "GET /c HTTP/1.1\r\nHost: a\r\n\r\nGET /d HTT");
  ASSERT_EQ(parsed.requests.size(), 3u);
  EXPECT_EQ(parsed.requests[1].method, "HEAD");
  EXPECT_EQ(parsed.requests[1].target, "/b");
  EXPECT_FALSE(parsed.requests[1].keep_alive);
  EXPECT_EQ(parsed.requests[2].target, "/c");
  EXPECT_EQ(parsed.ends, 3);
  EXPECT_EQ(parsed.unconsumed, 10u);  // the start of the fourth waits for more
}

TEST(HttpRequestParser, PersistenceFollowsVersionAndConnection) {
  EXPECT_FALSE(parse_all("GET / HTTP/1.0\r\n\r\n").requests.at(0).keep_alive);
  EXPECT_TRUE(
      parse_all("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").requests.at(0).keep_alive);
  EXPECT_FALSE(parse_all("GET / HTTP/1.1\r\nHost: a\r\nConnection: foo, CLOSE\r\n\r\n")
                   .requests.at(0)
                   .keep_alive);
  // A later 1.x minor version is treated as 1.1.
  EXPECT_EQ(parse_all("GET / HTTP/1.7\r\nHost: a\r\n\r\n").requests.at(0).version_minor, 1);
}

TEST(HttpRequestParser, AcceptsBareLineFeedsAndLargeLengths) {
  const Parsed parsed = parse_all("PUT /x HTTP/1.1\nHost: a\nContent-Length: 1000000000000\n\n");
  ASSERT_EQ(parsed.requests.size(), 1u);
  EXPECT_EQ(parsed.requests[0].framing, HttpBodyFraming::length);
  EXPECT_EQ(parsed.requests[0].content_length, 1'000'000'000'000u);
  EXPECT_EQ(parsed.ends, 0);  // the body is still to come
}

TEST(HttpRequestParser, RejectsMalformedHeads) {
  EXPECT_EQ(error_of("GET /\r\n\r\n"), 400);
  EXPECT_EQ(error_of("GET  / HTTP/1.1\r\nHost: a\r\n\r\n"), 400);  // empty target
  EXPECT_EQ(error_of("G(T / HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\n\r\n"), 400);  // no Host
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), 400);
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost : a\r\n\r\n"), 400);
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n"), 400);
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n"), 400);
  EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n"), 400);
  EXPECT_EQ(error_of("GET / HTTP/11\r\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(error_of("GET / HTTP/2.0\r\nHost: a\r\n\r\n"), 505);
}

TEST(HttpRequestParser, RejectsAmbiguousFraming) {
  const std::string head = "POST /sink HTTP/1.1\r\nHost: a\r\n";
  EXPECT_EQ(error_of(head + "Content-Length: 5\r\nContent-Length: 6\r\n\r\n"), 400);
  EXPECT_EQ(error_of(head + "Content-Length: +5\r\n\r\n"), 400);
  EXPECT_EQ(error_of(head + "Content-Length: 5, 5\r\n\r\n"), 400);
  EXPECT_EQ(error_of(head + "Content-Length: 99999999999999999999\r\n\r\n"), 400);
  EXPECT_EQ(error_of(head + "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"), 400);
  EXPECT_EQ(error_of(head + "Transfer-Encoding: gzip\r\n\r\n"), 501);
  // Repeated identical lengths are one length (RFC 9110 §8.6).
  EXPECT_EQ(error_of(head + "Content-Length: 2\r\nContent-Length: 2\r\n\r\nab"), 0);
}

TEST(HttpRequestParser, RejectsBadChunks) {
  const std::string head = "POST /sink HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
  EXPECT_EQ(error_of(head + "x\r\n"), 400);
  EXPECT_EQ(error_of(head + "5 junk\r\n"), 400);
  EXPECT_EQ(error_of(head + "3\r\nabcX"), 400);              // no CRLF after the data
  EXPECT_EQ(error_of(head + "11111111111111111\r\n"), 400);  // more than 64 bits
  EXPECT_EQ(error_of(head + std::string(2000, '1')), 400);   // endless size line
  EXPECT_EQ(parse_all(head + "3\r\nabc\r\n0\r\n\r\n").bodies.at(0), "abc");
}

TEST(HttpRequestParser, LimitsTheRequestLineAndTheHead) {
  const std::string long_target(HttpRequestParser::kMaxRequestLineSize, 'a');
  EXPECT_EQ(error_of("GET /" + long_target + " HTTP/1.1\r\nHost: a\r\n\r\n"), 414);
  EXPECT_EQ(error_of("GET /" + long_target), 414);  // known before the line ends
  std::string many_fields = "GET / HTTP/1.1\r\nHost: a\r\n";
  while (many_fields.size() < HttpRequestParser::kMaxHeadSize)
    many_fields += "X-Filler: 0123456789\r\n";
  EXPECT_EQ(error_of(many_fields), 431);
  EXPECT_EQ(error_of(many_fields + "\r\n"), 431);
  // Just under the limit is fine.
  std::string fits = "GET / HTTP/1.1\r\nHost: a\r\nX: ";
  fits += std::string(HttpRequestParser::kMaxHeadSize - fits.size() - 4, 'v') + "\r\n\r\n";
  EXPECT_EQ(fits.size(), HttpRequestParser::kMaxHeadSize);
  EXPECT_EQ(parse_all(fits).requests.size(), 1u);
}

TEST(HttpRequestParser, StaysFailedAfterAnError) {
  HttpRequestParser parser;
  EXPECT_EQ(parser.parse("BAD\r\n\r\n").status, 400);
  const HttpParseStep again = parser.parse("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(again.kind, Kind::error);
  EXPECT_EQ(again.status, 400);
}

}  // namespace
}  // namespace tapstack::daemon::services
