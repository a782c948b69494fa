// Counters of the built-in services, shown on the HTTP status page.
#pragma once

#include <cstdint>

namespace tapstack::daemon::services {

struct ServiceStats {
  std::uint64_t connections_accepted = 0;
  std::uint64_t connections_closed = 0;
  std::uint64_t accept_failures = 0;  // accept() errors other than would_block
  std::uint64_t echo_bytes = 0;       // echoed back (accepted by send)
  std::uint64_t discard_bytes = 0;
  std::uint64_t chargen_bytes = 0;
  std::uint64_t http_requests = 0;
  std::uint64_t http_errors = 0;  // requests answered with 4xx or 5xx
  std::uint64_t http_body_bytes_sent = 0;
  std::uint64_t sink_bytes = 0;  // request bodies hashed by POST /sink
};

}  // namespace tapstack::daemon::services
