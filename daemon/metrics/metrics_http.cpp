#include "daemon/metrics/metrics_http.hpp"

#include <string_view>

#include "daemon/metrics/prometheus_text.hpp"

namespace tapstack::daemon::metrics {
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
    case 408:
      return "Request Timeout";
    case 414:
      return "URI Too Long";
    case 431:
      return "Request Header Fields Too Large";  // RFC 6585 §5
    case 501:
      return "Not Implemented";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Error";
  }
}

// `extra_headers` are complete lines ending in CRLF. HEAD gets the GET's headers without the
// body (RFC 9110 §9.3.2).
std::string answer(int status, std::string_view content_type, std::string_view extra_headers,
                   const std::string& body, bool with_body) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + ' ' +
                    std::string{reason_phrase(status)} +
                    "\r\nContent-Type: " + std::string{content_type} +
                    "\r\nContent-Length: " + std::to_string(body.size()) +
                    "\r\nConnection: close\r\n" + std::string{extra_headers} + "\r\n";
  if (with_body) out += body;
  return out;
}

// The path of origin-form "/metrics" or "/metrics?QUERY" (RFC 9112 §3.2.1); the query is ignored.
bool is_metrics_path(std::string_view target) {
  return target.substr(0, target.find('?')) == "/metrics";
}

constexpr std::string_view kTextPlain = "text/plain; charset=utf-8";

}  // namespace

std::string answer_metrics_request(const services::HttpRequest& request,
                                   const RenderMetrics& render) {
  const bool head = request.method == "HEAD";
  if (request.method != "GET" && !head) {
    return answer(405, kTextPlain, "Allow: GET, HEAD\r\n", "method not allowed\n", true);
  }
  if (!is_metrics_path(request.target)) {
    return answer(404, kTextPlain, "", "not found; the metrics are at /metrics\n", !head);
  }
  return answer(200, kPrometheusContentType, "", render(), !head);
}

std::string error_answer(int status) {
  return answer(status, kTextPlain, "", std::string{reason_phrase(status)} + '\n', true);
}

}  // namespace tapstack::daemon::metrics
