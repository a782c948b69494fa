// An incremental HTTP/1.1 request parser (RFC 9112): request line and header section, then the
// body framed by Content-Length or chunked transfer coding (RFC 9112 §6, §7.1). Pure: bytes in,
// steps out; no I/O, no allocation beyond the request's method and target.
//
// The caller owns the input buffer. It passes all unconsumed bytes to parse(), drops the
// `consumed` prefix, and calls again after each step until `need_more`; then it appends what it
// reads next. The head is parsed only once complete in the input, so the caller's buffer must
// hold kMaxHeadSize bytes; a longer head is an error (431), as is a request line above
// kMaxRequestLineSize (414).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tapstack::daemon::services {

enum class HttpBodyFraming : std::uint8_t { none, length, chunked };

struct HttpRequest {
  std::string method;     // case-sensitive (RFC 9110 §9.1)
  std::string target;     // the request-target as sent
  int version_minor = 1;  // HTTP/1.0 or HTTP/1.1
  // RFC 9112 §9.3: HTTP/1.1 stays open unless "Connection: close"; HTTP/1.0 closes unless
  // "Connection: keep-alive".
  bool keep_alive = true;
  HttpBodyFraming framing = HttpBodyFraming::none;
  std::uint64_t content_length = 0;  // with HttpBodyFraming::length
};

struct HttpParseStep {
  enum class Kind : std::uint8_t {
    need_more,  // nothing more can be decided without more input
    request,    // `request` holds a complete head
    body,       // `body` is the next part of the request's body (points into the input)
    end,        // the request, body included, is complete; the next one may follow
    error,      // `status` says why; the connection cannot continue (parse() keeps failing)
  };
  Kind kind = Kind::need_more;
  std::size_t consumed = 0;  // bytes of the input this step used up
  HttpRequest request;
  std::string_view body;
  int status = 0;  // 400, 414, 431, 501 or 505
};

class HttpRequestParser {
 public:
  static constexpr std::size_t kMaxRequestLineSize = 8 * 1024;
  static constexpr std::size_t kMaxHeadSize = 16 * 1024;
  static constexpr std::size_t kMaxChunkLineSize = 1024;  // chunk size plus extensions

  HttpParseStep parse(std::string_view input);

 private:
  enum class State : std::uint8_t {
    head,
    length_body,
    chunk_size,
    chunk_data,
    chunk_data_end,
    trailers,
    complete,
    failed,
  };

  HttpParseStep parse_head(std::string_view input);
  HttpParseStep parse_length_body(std::string_view input);
  HttpParseStep parse_chunk_size(std::string_view input);
  HttpParseStep parse_chunk_data(std::string_view input);
  HttpParseStep parse_chunk_data_end(std::string_view input);
  HttpParseStep parse_trailers(std::string_view input);
  HttpParseStep fail(int status);
  HttpParseStep start_body(HttpRequest request, std::size_t consumed);

  State state_ = State::head;
  std::uint64_t remaining_ = 0;  // body or chunk bytes still to come
  int failed_status_ = 0;
};

}  // namespace tapstack::daemon::services
