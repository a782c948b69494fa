// The built-in HTTP/1.1 server (RFC 9110, RFC 9112) on one connection, with persistent
// connections and pipelining (requests are answered one after the other, in order):
//   GET /          a short text status page (version, uptime, service counters)
//   GET /bytes/N   N bytes of the pattern (daemon/services/pattern.hpp), streamed: any N up
//                  to 2^64-1 costs no memory
//   POST /sink     reads the body (Content-Length or chunked) and answers "LENGTH SHA256HEX\n"
//   HEAD           for the GETs; 404 for other paths, 405 for other methods.
// Errors in a request (400, 414, 431, 501, 505) are answered with "Connection: close".
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "daemon/services/http_parser.hpp"
#include "daemon/services/session.hpp"
#include "daemon/services/sha256.hpp"

namespace tapstack::daemon::services {

class HttpSession final : public Session {
 public:
  using Session::Session;

 private:
  bool run(Instant now) override;
  bool fill_input(Instant now);
  bool process_input(Instant now);
  bool send_response(Instant now);
  bool drain_and_close(Instant now);

  void on_request(const HttpRequest& request);
  void on_body(std::string_view body);
  void respond(Instant now);
  void respond_sink();
  void respond_get(std::string_view path, Instant now);
  void respond_error(int status);
  void respond_with(int status, std::string_view content_type, std::string_view body,
                    std::string_view extra_headers = {});
  void start_response(int status, std::string_view content_type, std::uint64_t length,
                      std::string_view extra_headers);
  std::string status_page(Instant now);

  // Unparsed input; the parser needs a whole head in one piece (RFC 9112 §2.2 limits).
  std::array<char, HttpRequestParser::kMaxHeadSize> input_{};
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  HttpRequestParser parser_;
  bool peer_closed_ = false;

  // The request being read.
  HttpRequest request_;
  bool sinking_ = false;  // POST /sink: the body goes into sha_
  std::uint64_t sink_length_ = 0;
  Sha256 sha_;

  // The response being sent: head_ (with any small body), then pattern bytes.
  bool responding_ = false;
  std::string head_;
  std::size_t head_sent_ = 0;
  std::uint64_t pattern_offset_ = 0;
  std::uint64_t pattern_remaining_ = 0;
  bool close_after_response_ = false;
  bool closing_ = false;  // the last response is out: shut down, read until the peer's FIN
  bool shutdown_sent_ = false;
};

}  // namespace tapstack::daemon::services
