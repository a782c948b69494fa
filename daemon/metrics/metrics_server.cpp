#include "daemon/metrics/metrics_server.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/write.hpp>
#include <string_view>

#include "daemon/metrics/metrics_listener.hpp"
#include "daemon/services/http_parser.hpp"

namespace tapstack::daemon::metrics {
namespace asio = boost::asio;
using Socket = asio::generic::stream_protocol::socket;

namespace {
// After a failed accept (EMFILE, ENOBUFS: the cause persists), wait this long before the next,
// instead of spinning on the same error.
constexpr std::chrono::milliseconds kAcceptRetryDelay{100};
}  // namespace

struct MetricsServer::Shared {
  RenderMetrics render;
  MetricsLog log;
  MetricsLimits limits;
  std::size_t open = 0;              // connections being served
  std::function<void()> slot_freed;  // resumes accepting; cleared when the server goes
};

// One request and its answer. Every pending operation holds a shared_ptr to the connection, so
// a completion that arrives after finish() still finds it alive (and does nothing).
class MetricsServer::Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(Socket socket, std::shared_ptr<Shared> shared)
      : socket_(std::move(socket)),
        deadline_(socket_.get_executor()),
        shared_(std::move(shared)),
        head_(shared_->limits.max_head_size, '\0') {}

  void start() {
    deadline_.expires_after(shared_->limits.timeout);
    deadline_.async_wait([self = shared_from_this()](const boost::system::error_code& error) {
      if (!error) self->finish();  // too slow: drop it without an answer
    });
    read();
  }

 private:
  void read() {
    socket_.async_read_some(
        asio::buffer(head_.data() + filled_, head_.size() - filled_),
        [self = shared_from_this()](const boost::system::error_code& error, std::size_t n) {
          self->on_read(error, n);
        });
  }

  void on_read(const boost::system::error_code& error, std::size_t n) {
    if (finished_) return;
    if (error) {
      finish();  // end of stream before a complete head, or a reset
      return;
    }
    filled_ += n;
    const services::HttpParseStep step = parser_.parse(std::string_view{head_.data(), filled_});
    switch (step.kind) {
      case services::HttpParseStep::Kind::request:
        respond(answer_metrics_request(step.request, shared_->render),
                step.request.method + ' ' + step.request.target);
        return;
      case services::HttpParseStep::Kind::error:
        respond(error_answer(step.status), "a malformed request");
        return;
      default:
        break;
    }
    if (filled_ == head_.size()) {
      respond(error_answer(431), "a request head over the limit");  // RFC 6585 §5
      return;
    }
    read();
  }

  // `what` names the request in the debug log line.
  void respond(std::string answer, const std::string& what) {
    if (shared_->log) {
      const std::string_view status_line{answer.data(), answer.find('\r')};
      shared_->log(config::LogLevel::debug, "metrics: " + what + ": " + std::string{status_line});
    }
    answer_ = std::move(answer);
    asio::async_write(
        socket_, asio::buffer(answer_),
        [self = shared_from_this()](const boost::system::error_code& error, std::size_t) {
          if (error) {
            self->finish();
            return;
          }
          boost::system::error_code ignored;
          self->socket_.shutdown(Socket::shutdown_send, ignored);
          self->drain();
        });
  }

  // RFC 9112 §9.6: after our half-close, read and discard until the client closes (or the
  // deadline), so that bytes it still sends (a body we ignored) cannot turn our close into a
  // reset that destroys the answer in its receive buffer.
  void drain() {
    socket_.async_read_some(
        asio::buffer(head_),
        [self = shared_from_this()](const boost::system::error_code& error, std::size_t) {
          if (self->finished_) return;
          if (error) {
            self->finish();
          } else {
            self->drain();
          }
        });
  }

  void finish() {
    if (finished_) return;
    finished_ = true;
    boost::system::error_code ignored;
    socket_.shutdown(Socket::shutdown_both, ignored);
    socket_.close(ignored);
    deadline_.cancel();
    --shared_->open;
    if (shared_->slot_freed) shared_->slot_freed();
  }

  Socket socket_;
  asio::steady_timer deadline_;
  std::shared_ptr<Shared> shared_;
  std::string head_;  // the receive buffer, limits.max_head_size bytes
  std::size_t filled_ = 0;
  services::HttpRequestParser parser_;
  std::string answer_;
  bool finished_ = false;
};

MetricsServer::MetricsServer(asio::io_context& io, config::MetricsConfig listen, std::string group,
                             RenderMetrics render, MetricsLog log, MetricsLimits limits)
    : shared_(std::make_shared<Shared>()),
      acceptor_(io),
      retry_timer_(io),
      listen_(std::move(listen)),
      group_(std::move(group)) {
  shared_->render = std::move(render);
  shared_->log = std::move(log);
  shared_->limits = limits;
  shared_->slot_freed = [this] {
    if (!accepting_ && acceptor_.is_open()) accept();
  };
}

MetricsServer::~MetricsServer() {
  shared_->slot_freed = nullptr;  // connections may outlive the server until io_ is destroyed
  if (listening_ && !listen_.unix_path.empty()) {
    ::unlink(listen_.unix_path.c_str());  // no stale socket for the next start
  }
}

Result<void, std::string> MetricsServer::start() {
  if (!listen_.enabled()) return {};
  auto fd = open_metrics_listener(listen_, group_);
  if (!fd) return unexpected(fd.error());
  const asio::generic::stream_protocol protocol{listen_.tcp ? AF_INET : AF_UNIX,
                                                listen_.tcp ? IPPROTO_TCP : 0};
  const int raw = fd->release();
  boost::system::error_code error;
  acceptor_.assign(protocol, raw, error);
  if (error) {
    ::close(raw);
    return unexpected("metrics listener: " + error.message());
  }
  listening_ = true;
  if (shared_->log) shared_->log(config::LogLevel::info, "metrics on " + describe(listen_));
  accept();
  return {};
}

std::size_t MetricsServer::connection_count() const {
  return shared_->open;
}

void MetricsServer::accept() {
  accepting_ = true;
  acceptor_.async_accept([this](const boost::system::error_code& error, Socket socket) {
    if (error == asio::error::operation_aborted) return;  // the server is gone
    if (error) {
      if (shared_->log) shared_->log(config::LogLevel::warn, "metrics accept: " + error.message());
      retry_accept_later();
      return;
    }
    ++shared_->open;
    std::make_shared<Connection>(std::move(socket), shared_)->start();
    if (shared_->open < shared_->limits.max_connections) {
      accept();
    } else {
      accepting_ = false;  // the next finished connection resumes accepting
    }
  });
}

void MetricsServer::retry_accept_later() {
  retry_timer_.expires_after(kAcceptRetryDelay);
  retry_timer_.async_wait([this](const boost::system::error_code& error) {
    if (!error) accept();
  });
}

}  // namespace tapstack::daemon::metrics
