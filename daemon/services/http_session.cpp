#include "daemon/services/http_session.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <optional>

#include "daemon/services/pattern.hpp"

namespace tapstack::daemon::services {
namespace {

std::string_view reason_phrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 414:
      return "URI Too Long";
    case 431:
      return "Request Header Fields Too Large";
    case 501:
      return "Not Implemented";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

// The path of an origin-form or absolute-form target (RFC 9112 §3.2), without the query.
std::string_view target_path(std::string_view target) {
  if (target.starts_with("http://")) {
    const auto slash = target.find('/', 7);
    target = slash == std::string_view::npos ? std::string_view{"/"} : target.substr(slash);
  }
  return target.substr(0, target.find('?'));
}

// "/bytes/N": N as a decimal count without sign or leading garbage.
std::optional<std::uint64_t> byte_count(std::string_view path) {
  constexpr std::string_view kPrefix = "/bytes/";
  if (!path.starts_with(kPrefix)) return std::nullopt;
  const std::string_view digits = path.substr(kPrefix.size());
  std::uint64_t count = 0;
  const char* end = digits.data() + digits.size();
  const auto [rest, ec] = std::from_chars(digits.data(), end, count);
  if (digits.empty() || ec != std::errc{} || rest != end) return std::nullopt;
  return count;
}

std::span<const std::byte> as_bytes(std::string_view text) {
  return std::as_bytes(std::span{text.data(), text.size()});
}

}  // namespace

bool HttpSession::run(Instant now) {
  for (;;) {
    bool progress = false;
    if (responding_) progress |= send_response(now);
    if (!responding_ && !closing_) progress |= process_input(now);
    if (!responding_ && closing_) return drain_and_close(now);
    progress |= fill_input(now);
    if (failed()) return false;
    // The peer closed and nothing is left to answer: a half-read request is abandoned.
    if (!progress) return !(peer_closed_ && !responding_);
  }
}

bool HttpSession::fill_input(Instant now) {
  if (peer_closed_) return false;
  if (end_ == input_.size() && begin_ > 0) {
    std::memmove(input_.data(), input_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  // Full: the parser has what it needs or fails with 431; pipelined requests wait in TCP.
  if (end_ == input_.size()) return false;
  const ReadResult result = read(std::as_writable_bytes(std::span{input_}.subspan(end_)), now);
  if (result.status == ReadStatus::data) end_ += result.size;
  if (result.status == ReadStatus::end_of_stream) peer_closed_ = true;
  return result.status == ReadStatus::data || result.status == ReadStatus::end_of_stream;
}

bool HttpSession::process_input(Instant now) {
  bool progress = false;
  while (!responding_) {
    const HttpParseStep step =
        parser_.parse(std::string_view{input_.data() + begin_, end_ - begin_});
    begin_ += step.consumed;
    progress |= step.consumed > 0;
    switch (step.kind) {
      case HttpParseStep::Kind::need_more:
        if (begin_ == end_) begin_ = end_ = 0;
        return progress;
      case HttpParseStep::Kind::request:
        on_request(step.request);
        break;
      case HttpParseStep::Kind::body:
        on_body(step.body);
        break;
      case HttpParseStep::Kind::end:
        respond(now);
        break;
      case HttpParseStep::Kind::error:
        respond_error(step.status);
        break;
    }
    progress = true;
  }
  return progress;
}

void HttpSession::on_request(const HttpRequest& request) {
  ++stats().http_requests;
  request_ = request;
  sinking_ = request.method == "POST" && target_path(request.target) == "/sink";
  sink_length_ = 0;
}

void HttpSession::on_body(std::string_view body) {
  if (!sinking_) return;  // a body nobody asked for is read and dropped
  sha_.update(as_bytes(body));
  sink_length_ += body.size();
  stats().sink_bytes += body.size();
}

void HttpSession::respond(Instant now) {
  close_after_response_ = !request_.keep_alive;
  const std::string_view path = target_path(request_.target);
  if (path == "/sink") {
    respond_sink();
  } else if (path == "/" || path.starts_with("/bytes/")) {
    respond_get(path, now);
  } else {
    respond_with(404, "text/plain", "404 Not Found\n");
  }
}

void HttpSession::respond_sink() {
  if (request_.method != "POST") {
    respond_with(405, "text/plain", "405 Method Not Allowed\n", "Allow: POST\r\n");
    return;
  }
  sinking_ = false;
  respond_with(200, "text/plain", std::to_string(sink_length_) + ' ' + sha_.finish_hex() + '\n');
}

// GET or HEAD of "/" or "/bytes/N".
void HttpSession::respond_get(std::string_view path, Instant now) {
  if (request_.method != "GET" && request_.method != "HEAD") {
    respond_with(405, "text/plain", "405 Method Not Allowed\n", "Allow: GET, HEAD\r\n");
  } else if (path == "/") {
    respond_with(200, "text/plain", status_page(now));
  } else if (const auto count = byte_count(path)) {
    start_response(200, "application/octet-stream", *count, {});
    if (request_.method == "GET") pattern_remaining_ = *count;  // streamed by send_response()
  } else {
    respond_with(400, "text/plain", "400 Bad Request: /bytes/N needs a decimal N\n");
  }
}

void HttpSession::respond_error(int status) {
  // The request could not be delimited, so nothing after it can be trusted: answer and close
  // (RFC 9112 §6.3, §9.6).
  close_after_response_ = true;
  request_ = HttpRequest{};
  respond_with(status, "text/plain",
               std::to_string(status) + ' ' + std::string{reason_phrase(status)} + '\n');
}

void HttpSession::respond_with(int status, std::string_view content_type, std::string_view body,
                               std::string_view extra_headers) {
  start_response(status, content_type, body.size(), extra_headers);
  if (request_.method != "HEAD") head_ += body;  // RFC 9110 §9.3.2: HEAD has no content
}

void HttpSession::start_response(int status, std::string_view content_type, std::uint64_t length,
                                 std::string_view extra_headers) {
  if (status >= 400) ++stats().http_errors;
  head_ = "HTTP/1.1 " + std::to_string(status) + ' ' + std::string{reason_phrase(status)} +
          "\r\nServer: tapstackd/" + std::string{context().version} +
          "\r\nContent-Type: " + std::string{content_type} +
          "\r\nContent-Length: " + std::to_string(length) + "\r\n";
  head_ += extra_headers;
  if (close_after_response_) {
    head_ += "Connection: close\r\n";
  } else if (request_.version_minor == 0) {
    head_ += "Connection: keep-alive\r\n";  // RFC 9112 §9.3: 1.0 needs it said
  }
  head_ += "\r\n";
  head_sent_ = 0;
  pattern_offset_ = 0;
  pattern_remaining_ = 0;
  responding_ = true;
}

bool HttpSession::send_response(Instant now) {
  bool progress = false;
  while (head_sent_ < head_.size()) {
    const std::size_t sent = write(as_bytes(head_).subspan(head_sent_), now);
    if (sent == 0) return progress;
    head_sent_ += sent;
    progress = true;
  }
  while (pattern_remaining_ > 0) {
    const std::size_t chunk =
        static_cast<std::size_t>(std::min<std::uint64_t>(pattern_remaining_, kPatternViewMax));
    const std::size_t sent = write(pattern_view(pattern_offset_, chunk), now);
    if (sent == 0) return progress;
    pattern_offset_ += sent;
    pattern_remaining_ -= sent;
    stats().http_body_bytes_sent += sent;
    progress = true;
  }
  responding_ = false;
  closing_ = close_after_response_;
  return true;
}

// After the last response: our FIN goes out behind it, and we read until the peer's FIN so
// that closing never finds unread data (which would turn it into a reset that can destroy the
// response in flight, RFC 9112 §9.6).
bool HttpSession::drain_and_close(Instant now) {
  if (!shutdown_sent_) {
    shutdown_send(now);
    shutdown_sent_ = true;
  }
  while (!peer_closed_ && !failed()) {
    const ReadResult result = read(context().scratch, now);
    if (result.status == ReadStatus::would_block) return true;
    if (result.status != ReadStatus::data) peer_closed_ = true;
  }
  return false;
}

std::string HttpSession::status_page(Instant now) {
  const ServiceStats& counters = stats();
  const auto uptime = std::chrono::duration_cast<std::chrono::seconds>(now - context().started);
  std::string page = "tapstackd " + std::string{context().version} + "\n";
  const std::pair<const char*, std::uint64_t> lines[] = {
      {"uptime_seconds", static_cast<std::uint64_t>(uptime.count())},
      {"connections_accepted", counters.connections_accepted},
      {"connections_open", counters.connections_accepted - counters.connections_closed},
      {"http_requests", counters.http_requests},
      {"http_errors", counters.http_errors},
      {"http_body_bytes_sent", counters.http_body_bytes_sent},
      {"sink_bytes", counters.sink_bytes},
      {"echo_bytes", counters.echo_bytes},
      {"discard_bytes", counters.discard_bytes},
      {"chargen_bytes", counters.chargen_bytes},
  };
  for (const auto& [name, value] : lines)
    page += std::string{name} + ": " + std::to_string(value) + '\n';
  return page;
}

}  // namespace tapstack::daemon::services
