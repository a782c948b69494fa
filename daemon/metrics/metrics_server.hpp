// The Prometheus metrics endpoint (`metrics.listen`): an Asio acceptor in the daemon's single
// io_context. Each connection carries one HTTP/1.x request (head at most 8 KiB, the whole
// exchange at most 5 s), gets its answer (metrics_http.hpp) and is closed: half-closed first,
// then closed when the client closes or the 5 s are up. At most 16 connections are served at
// once; more wait in the kernel's listen queue.
//
// The body is rendered by `render` when a request arrives, inside the event loop's thread: it
// reads the stack's live counters without copies or locks.
#pragma once

#include <boost/asio/basic_socket_acceptor.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "daemon/metrics/metrics_http.hpp"
#include "stack/base/result.hpp"

namespace tapstack::daemon::metrics {

struct MetricsLimits {
  std::size_t max_head_size = 8 * 1024;     // request line and headers
  std::chrono::milliseconds timeout{5000};  // from accept to the last byte of the answer
  std::size_t max_connections = 16;
};

// Where the server's log lines go (the daemon passes its Logger).
using MetricsLog = std::function<void(config::LogLevel, std::string_view)>;

class MetricsServer {
 public:
  // `io` outlives the server. `listen` says where start() listens (nowhere when not enabled);
  // a Unix socket gets the group `group` (empty: the daemon's).
  MetricsServer(boost::asio::io_context& io, config::MetricsConfig listen, std::string group,
                RenderMetrics render, MetricsLog log, MetricsLimits limits = {});
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // Opens the listener and starts accepting; the message says why not. Does nothing when the
  // endpoint is off (metrics.listen empty, the default).
  Result<void, std::string> start();

  // Connections being served now.
  std::size_t connection_count() const;

 private:
  class Connection;
  struct Shared;  // what connections share with the server; outlives it while they run

  void accept();
  void retry_accept_later();

  std::shared_ptr<Shared> shared_;
  // Unix or TCP alike: the generic protocol takes any stream socket's family.
  boost::asio::basic_socket_acceptor<boost::asio::generic::stream_protocol> acceptor_;
  boost::asio::steady_timer retry_timer_;
  config::MetricsConfig listen_;
  std::string group_;
  bool listening_ = false;  // a Unix socket at listen_.unix_path is removed when the server goes
  bool accepting_ = false;
};

}  // namespace tapstack::daemon::metrics
