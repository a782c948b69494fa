// RFC 9112 request parsing. Strict where laxness enables request smuggling (§6.1, §6.3: both
// Transfer-Encoding and Content-Length, conflicting lengths, obs-fold, bare CR, whitespace
// before the colon); lenient where the RFC asks for robustness (§2.2: empty lines before the
// request line, LF without CR as line end).
#include "daemon/services/http_parser.hpp"

#include <algorithm>
#include <charconv>
#include <optional>

namespace tapstack::daemon::services {
namespace {

using Step = HttpParseStep;

// Steps without designated initialisers: -Wmissing-field-initializers wants every member named.
Step make_step(Step::Kind kind, std::size_t consumed = 0) {
  Step step;
  step.kind = kind;
  step.consumed = consumed;
  return step;
}

Step need_more(std::size_t consumed = 0) {
  return make_step(Step::Kind::need_more, consumed);
}

Step body_step(std::string_view input, std::size_t size) {
  Step step = make_step(Step::Kind::body, size);
  step.body = input.substr(0, size);
  return step;
}

Step error_step(int status) {
  Step step = make_step(Step::Kind::error);
  step.status = status;
  return step;
}

struct Line {
  std::string_view text;  // without the line end
  std::size_t next;       // offset after the line end
};

// RFC 9112 §2.2: lines end in CRLF; a bare LF is accepted too.
std::optional<Line> next_line(std::string_view input, std::size_t from) {
  const auto lf = input.find('\n', from);
  if (lf == std::string_view::npos) return std::nullopt;
  std::string_view text = input.substr(from, lf - from);
  if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
  return Line{text, lf + 1};
}

// RFC 9110 §5.6.2: tchar.
bool is_token_char(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view{"!#$%&'*+-.^_`|~"}.find(c) != std::string_view::npos;
}

bool is_token(std::string_view text) {
  return !text.empty() && std::ranges::all_of(text, is_token_char);
}

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::ranges::equal(a, b, {}, lower, lower);
}

std::string_view trim_whitespace(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t");
  return text.substr(first, last - first + 1);
}

// RFC 9110 §5.5: field values hold no CR, LF or NUL (nor other controls but HTAB).
bool is_valid_field_value(std::string_view value) {
  return std::ranges::none_of(value, [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return (byte < 0x20 && c != '\t') || byte == 0x7f;
  });
}

// What the header fields say about framing and persistence.
struct HeadFacts {
  std::optional<std::uint64_t> content_length;
  int transfer_encodings = 0;
  bool close = false;
  bool keep_alive = false;
  int hosts = 0;
};

// RFC 9112 §3: method SP request-target SP HTTP-version. 0 on success, else the status.
int parse_request_line(std::string_view line, HttpRequest& request) {
  const auto first_space = line.find(' ');
  if (first_space == std::string_view::npos) return 400;
  const auto second_space = line.find(' ', first_space + 1);
  if (second_space == std::string_view::npos) return 400;
  const std::string_view method = line.substr(0, first_space);
  const std::string_view target = line.substr(first_space + 1, second_space - first_space - 1);
  const std::string_view version = line.substr(second_space + 1);
  if (!is_token(method) || target.empty()) return 400;
  if (std::ranges::any_of(target, [](char c) {
        const auto byte = static_cast<unsigned char>(c);
        return byte <= 0x20 || byte == 0x7f;
      })) {
    return 400;
  }
  // RFC 9112 §2.3: HTTP-name "/" DIGIT "." DIGIT.
  if (version.size() != 8 || !version.starts_with("HTTP/") || version[6] != '.' ||
      version[5] < '0' || version[5] > '9' || version[7] < '0' || version[7] > '9') {
    return 400;
  }
  if (version[5] != '1') return 505;
  request.method = method;
  request.target = target;
  // RFC 9110 §6.2: a later 1.x minor version is answered as 1.1.
  request.version_minor = std::min(version[7] - '0', 1);
  return 0;
}

int parse_content_length(std::string_view value, HeadFacts& facts) {
  std::uint64_t length = 0;
  const char* end = value.data() + value.size();
  const auto [rest, ec] = std::from_chars(value.data(), end, length);
  // Digits only: no sign, no list (RFC 9112 §6.3 step 5: an invalid length is unrecoverable).
  if (value.empty() || ec != std::errc{} || rest != end || value.front() == '+') return 400;
  if (facts.content_length && *facts.content_length != length) return 400;
  facts.content_length = length;
  return 0;
}

void parse_connection_options(std::string_view value, HeadFacts& facts) {
  while (!value.empty()) {
    const auto comma = value.find(',');
    const std::string_view option = trim_whitespace(value.substr(0, comma));
    if (equals_ignoring_case(option, "close")) facts.close = true;
    if (equals_ignoring_case(option, "keep-alive")) facts.keep_alive = true;
    value = comma == std::string_view::npos ? std::string_view{} : value.substr(comma + 1);
  }
}

// One field line (RFC 9112 §5). 0 on success, else the status.
int parse_field_line(std::string_view line, HeadFacts& facts) {
  // RFC 9112 §5.2: obs-fold is rejected with 400 in requests.
  if (line.front() == ' ' || line.front() == '\t') return 400;
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) return 400;
  // RFC 9112 §5.1: no whitespace between the name and the colon; is_token rejects it.
  const std::string_view name = line.substr(0, colon);
  const std::string_view value = trim_whitespace(line.substr(colon + 1));
  if (!is_token(name) || !is_valid_field_value(value)) return 400;
  if (equals_ignoring_case(name, "content-length")) return parse_content_length(value, facts);
  if (equals_ignoring_case(name, "transfer-encoding")) {
    ++facts.transfer_encodings;
    // RFC 9112 §6.1: chunked is the only coding understood here; others are 501.
    return equals_ignoring_case(value, "chunked") ? 0 : 501;
  }
  if (equals_ignoring_case(name, "connection")) parse_connection_options(value, facts);
  if (equals_ignoring_case(name, "host")) ++facts.hosts;
  return 0;
}

// Applies the header facts to the request: framing and persistence. 0 or the status.
int apply_facts(const HeadFacts& facts, HttpRequest& request) {
  // RFC 9112 §6.1: both Transfer-Encoding and Content-Length may be an attack; we refuse.
  if (facts.transfer_encodings > 1) return 400;
  if (facts.transfer_encodings == 1 && facts.content_length) return 400;
  // RFC 9112 §3.2: an HTTP/1.1 request without exactly one Host field gets a 400.
  if (facts.hosts > 1 || (request.version_minor == 1 && facts.hosts == 0)) return 400;
  if (facts.transfer_encodings == 1) {
    request.framing = HttpBodyFraming::chunked;
  } else if (facts.content_length && *facts.content_length > 0) {
    request.framing = HttpBodyFraming::length;
    request.content_length = *facts.content_length;
  }
  request.keep_alive =
      request.version_minor == 1 ? !facts.close : (facts.keep_alive && !facts.close);
  return 0;
}

}  // namespace

HttpParseStep HttpRequestParser::parse(std::string_view input) {
  switch (state_) {
    case State::head:
      return parse_head(input);
    case State::length_body:
      return parse_length_body(input);
    case State::chunk_size:
      return parse_chunk_size(input);
    case State::chunk_data:
      return parse_chunk_data(input);
    case State::chunk_data_end:
      return parse_chunk_data_end(input);
    case State::trailers:
      return parse_trailers(input);
    case State::complete:
      state_ = State::head;
      return make_step(Step::Kind::end);
    case State::failed:
      break;
  }
  return error_step(failed_status_);
}

HttpParseStep HttpRequestParser::fail(int status) {
  state_ = State::failed;
  failed_status_ = status;
  return error_step(status);
}

HttpParseStep HttpRequestParser::parse_head(std::string_view input) {
  // RFC 9112 §2.2: empty lines before the request line are ignored.
  std::size_t start = 0;
  while (start < input.size() && (input[start] == '\r' || input[start] == '\n')) ++start;
  const auto request_line = next_line(input, start);
  if (!request_line) {
    if (input.size() - start > kMaxRequestLineSize) return fail(414);
    return need_more(start);
  }
  if (request_line->text.size() > kMaxRequestLineSize) return fail(414);
  std::size_t position = request_line->next;
  std::optional<std::size_t> head_end;
  while (auto line = next_line(input, position)) {
    position = line->next;
    if (line->text.empty()) {
      head_end = position;
      break;
    }
  }
  if (!head_end) {
    // A head that fills kMaxHeadSize without its end cannot fit the caller's buffer.
    if (input.size() - start >= kMaxHeadSize) return fail(431);
    return need_more(start);
  }
  if (*head_end - start > kMaxHeadSize) return fail(431);
  // RFC 9112 §2.2: a bare CR anywhere in the head is invalid.
  const std::string_view head = input.substr(start, *head_end - start);
  for (std::size_t cr = head.find('\r'); cr != std::string_view::npos;
       cr = head.find('\r', cr + 1)) {
    if (cr + 1 >= head.size() || head[cr + 1] != '\n') return fail(400);
  }

  HttpRequest request;
  if (const int status = parse_request_line(request_line->text, request); status != 0) {
    return fail(status);
  }
  HeadFacts facts;
  for (auto line = next_line(input, request_line->next); line && !line->text.empty();
       line = next_line(input, line->next)) {
    if (const int status = parse_field_line(line->text, facts); status != 0) return fail(status);
  }
  if (const int status = apply_facts(facts, request); status != 0) return fail(status);
  return start_body(std::move(request), *head_end);
}

HttpParseStep HttpRequestParser::start_body(HttpRequest request, std::size_t consumed) {
  switch (request.framing) {
    case HttpBodyFraming::none:
      state_ = State::complete;
      break;
    case HttpBodyFraming::length:
      state_ = State::length_body;
      remaining_ = request.content_length;
      break;
    case HttpBodyFraming::chunked:
      state_ = State::chunk_size;
      break;
  }
  Step step = make_step(Step::Kind::request, consumed);
  step.request = std::move(request);
  return step;
}

HttpParseStep HttpRequestParser::parse_length_body(std::string_view input) {
  if (input.empty()) return need_more();
  const std::size_t size =
      static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, input.size()));
  remaining_ -= size;
  if (remaining_ == 0) state_ = State::complete;
  return body_step(input, size);
}

// RFC 9112 §7.1: chunk-size [ chunk-ext ] CRLF, the size in hex.
HttpParseStep HttpRequestParser::parse_chunk_size(std::string_view input) {
  const auto line = next_line(input, 0);
  if (!line) {
    if (input.size() > kMaxChunkLineSize) return fail(400);
    return need_more();
  }
  if (line->text.size() > kMaxChunkLineSize) return fail(400);
  std::uint64_t size = 0;
  const char* end = line->text.data() + line->text.size();
  const auto [rest, ec] = std::from_chars(line->text.data(), end, size, 16);
  if (ec != std::errc{} || rest == line->text.data() || line->text.front() == '+' ||
      line->text.front() == '-') {
    return fail(400);
  }
  const std::string_view extension =
      trim_whitespace(std::string_view(rest, static_cast<std::size_t>(end - rest)));
  if (!extension.empty() && extension.front() != ';') return fail(400);
  remaining_ = size;
  state_ = size == 0 ? State::trailers : State::chunk_data;
  HttpParseStep next = parse(input.substr(line->next));
  next.consumed += line->next;
  return next;
}

HttpParseStep HttpRequestParser::parse_chunk_data(std::string_view input) {
  if (input.empty()) return need_more();
  const std::size_t size =
      static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, input.size()));
  remaining_ -= size;
  if (remaining_ == 0) state_ = State::chunk_data_end;
  return body_step(input, size);
}

// The CRLF after a chunk's data.
HttpParseStep HttpRequestParser::parse_chunk_data_end(std::string_view input) {
  std::size_t size = 0;
  if (input.starts_with("\r\n")) {
    size = 2;
  } else if (input.starts_with("\n")) {
    size = 1;
  } else if (input.empty() || input == "\r") {
    return need_more();
  } else {
    return fail(400);
  }
  state_ = State::chunk_size;
  HttpParseStep next = parse(input.substr(size));
  next.consumed += size;
  return next;
}

// RFC 9112 §7.1.2: trailer fields up to an empty line; read and ignored.
HttpParseStep HttpRequestParser::parse_trailers(std::string_view input) {
  std::size_t position = 0;
  while (auto line = next_line(input, position)) {
    if (line->text.size() > kMaxHeadSize) return fail(431);
    position = line->next;
    if (line->text.empty()) {
      state_ = State::head;
      return make_step(Step::Kind::end, position);
    }
  }
  if (input.size() - position >= kMaxHeadSize) return fail(431);
  return need_more(position);
}

}  // namespace tapstack::daemon::services
