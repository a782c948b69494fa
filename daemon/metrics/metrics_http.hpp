// The HTTP side of the metrics endpoint, pure: a parsed request (services::HttpRequestParser,
// RFC 9112) in, the complete answer bytes out. GET (and HEAD, RFC 9110 §9.3.2) of /metrics
// answer 200 with the exposition text; other paths 404, other methods 405 with Allow. Every
// answer carries Content-Length and "Connection: close": one request per connection.
#pragma once

#include <functional>
#include <string>

#include "daemon/services/http_parser.hpp"

namespace tapstack::daemon::metrics {

// Renders the body of a 200 answer; called only for GET or HEAD of /metrics.
using RenderMetrics = std::function<std::string()>;

std::string answer_metrics_request(const services::HttpRequest& request,
                                   const RenderMetrics& render);

// An error answer with a short text body, e.g. 400 for a malformed request or 431 for a head
// over the endpoint's limit.
std::string error_answer(int status);

}  // namespace tapstack::daemon::metrics
