// The metrics endpoint's server (daemon/metrics/metrics_server.hpp) on a real Unix stream
// socket in a private temporary directory: one answer per connection, rendered when the request
// arrives; the head limit, the timeout and the connection limit. Everything runs in this thread:
// clients use non-blocking calls between turns of the io_context.
#include "daemon/metrics/metrics_server.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>

#include "ipc/fd_passing.hpp"

namespace tapstack::daemon::metrics {
namespace {

using namespace std::chrono_literals;
using tapstack::ipc::UniqueFd;

constexpr auto kPatience = 5s;  // for things that must happen promptly
constexpr std::string_view kGetMetrics = "GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n";

class MetricsServerTest : public ::testing::Test {
 protected:
  MetricsServerTest() {
    std::string pattern = (std::filesystem::temp_directory_path() / "tapstack-metrics-XXXXXX");
    if (::mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
    directory_ = pattern;
    path_ = directory_ + "/metrics.sock";
  }
  ~MetricsServerTest() override {
    server_.reset();
    std::filesystem::remove_all(directory_);
  }

  void start(MetricsLimits limits = {}) {
    config::MetricsConfig listen;
    listen.unix_path = path_;
    server_ = std::make_unique<MetricsServer>(
        io_, listen, "",
        [this] {
          ++renders_;
          return "tapstack_up 1\n";
        },
        nullptr, limits);
    const auto started = server_->start();
    ASSERT_TRUE(started) << started.error();
  }

  UniqueFd connect_client() const {
    UniqueFd fd{::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)};
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path_.c_str(), sizeof(address.sun_path) - 1);
    // A Unix stream connect completes at once while the listen queue has room.
    EXPECT_EQ(::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)), 0)
        << std::strerror(errno);
    return fd;
  }

  static void send_text(const UniqueFd& fd, std::string_view text) {
    ASSERT_EQ(::send(fd.get(), text.data(), text.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(text.size()));
  }

  // What arrived on `fd` so far; `closed` becomes true at end of stream (or a reset after it).
  static std::string take(const UniqueFd& fd, bool& closed) {
    std::string got;
    char chunk[4096];
    for (;;) {
      const ssize_t n = ::recv(fd.get(), chunk, sizeof chunk, MSG_DONTWAIT);
      if (n > 0) {
        got.append(chunk, static_cast<std::size_t>(n));
        continue;
      }
      // Closing with unread bytes in its queue would make Linux report ECONNRESET to us (after
      // the data, on a Unix socket; over TCP the data could be lost): the server drains first.
      if (n < 0 && errno == ECONNRESET) ADD_FAILURE() << "the connection was reset";
      closed = n == 0 || errno == ECONNRESET;
      return got;
    }
  }

  // Turns the io_context until the server closed `fd`; everything it sent.
  std::string answer_of(const UniqueFd& fd) {
    std::string answer;
    bool closed = false;
    const auto deadline = std::chrono::steady_clock::now() + kPatience;
    while (!closed && std::chrono::steady_clock::now() < deadline) {
      io_.run_one_for(5ms);
      answer += take(fd, closed);
    }
    EXPECT_TRUE(closed) << "the server kept the connection open";
    return answer;
  }

  // Turns the io_context until the server serves `count` connections.
  void wait_for_connections(std::size_t count) {
    const auto deadline = std::chrono::steady_clock::now() + kPatience;
    while (server_->connection_count() != count && std::chrono::steady_clock::now() < deadline) {
      io_.run_one_for(5ms);
    }
    EXPECT_EQ(server_->connection_count(), count);
  }

  void turn_for(std::chrono::milliseconds duration) {
    const auto until = std::chrono::steady_clock::now() + duration;
    while (std::chrono::steady_clock::now() < until) io_.run_one_for(5ms);
  }

  static std::string status_line(const std::string& answer) {
    return answer.substr(0, answer.find('\r'));
  }

  boost::asio::io_context io_{1};
  std::string directory_;
  std::string path_;
  std::unique_ptr<MetricsServer> server_;
  int renders_ = 0;
};

TEST_F(MetricsServerTest, AnswersGetMetricsAndCloses) {
  start();
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0660u);
  UniqueFd client = connect_client();
  send_text(client, "GET /metrics HTTP/1.1\r\nHost: localhost\r\nAccept: */*\r\n\r\n");
  const std::string answer = answer_of(client);  // until the server's half-close
  EXPECT_EQ(status_line(answer), "HTTP/1.1 200 OK");
  EXPECT_NE(answer.find("\r\nContent-Type: text/plain; version=0.0.4\r\n"), std::string::npos);
  EXPECT_TRUE(answer.ends_with("\r\n\r\ntapstack_up 1\n")) << answer;
  EXPECT_EQ(renders_, 1);
  EXPECT_EQ(server_->connection_count(), 1u);  // waiting for our close
  client = UniqueFd{};
  wait_for_connections(0);
}

// Each scrape renders anew: the values are those of the moment the request arrives.
TEST_F(MetricsServerTest, RendersForEveryRequestAndTakesHeadsInPieces) {
  start();
  for (int i = 0; i < 3; ++i) {
    const UniqueFd client = connect_client();
    send_text(client, "GET /metr");
    turn_for(20ms);
    EXPECT_EQ(renders_, i);
    send_text(client, "ics HTTP/1.0\r\n\r\n");
    EXPECT_EQ(status_line(answer_of(client)), "HTTP/1.1 200 OK");
    EXPECT_EQ(renders_, i + 1);
  }
}

TEST_F(MetricsServerTest, OtherPathsMethodsAndMalformedRequests) {
  start();
  const UniqueFd other_path = connect_client();
  send_text(other_path, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(status_line(answer_of(other_path)), "HTTP/1.1 404 Not Found");
  const UniqueFd post = connect_client();
  send_text(post, "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(status_line(answer_of(post)), "HTTP/1.1 405 Method Not Allowed");
  const UniqueFd garbage = connect_client();
  send_text(garbage, "HELLO\r\n\r\n");
  EXPECT_EQ(status_line(answer_of(garbage)), "HTTP/1.1 400 Bad Request");
  EXPECT_EQ(renders_, 0);
}

// A request body the server never reads is drained after the answer (RFC 9112 §9.6), and the
// connection ends when the client closes.
TEST_F(MetricsServerTest, AnIgnoredBodyIsDrainedNotReset) {
  start();
  UniqueFd client = connect_client();
  send_text(client, "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n" +
                        std::string(5000, 'b'));
  EXPECT_EQ(status_line(answer_of(client)), "HTTP/1.1 405 Method Not Allowed");
  EXPECT_EQ(server_->connection_count(), 1u);
  client = UniqueFd{};
  wait_for_connections(0);
}

TEST_F(MetricsServerTest, AHeadOverTheLimitIs431) {
  start(MetricsLimits{.max_head_size = 1024});
  const UniqueFd client = connect_client();
  send_text(client, "GET /metrics HTTP/1.1\r\nX-Filler: " + std::string(2000, 'a') + "\r\n\r\n");
  EXPECT_EQ(status_line(answer_of(client)), "HTTP/1.1 431 Request Header Fields Too Large");
  EXPECT_EQ(renders_, 0);
}

TEST_F(MetricsServerTest, ASilentClientIsDroppedAfterTheTimeout) {
  start(MetricsLimits{.timeout = 100ms});
  const UniqueFd client = connect_client();
  const auto before = std::chrono::steady_clock::now();
  EXPECT_EQ(answer_of(client), "");
  EXPECT_GE(std::chrono::steady_clock::now() - before, 90ms);
  EXPECT_EQ(server_->connection_count(), 0u);
}

// Past the limit, connections wait in the listen queue until a served one ends.
TEST_F(MetricsServerTest, ServesAtMostMaxConnectionsAtOnce) {
  start(MetricsLimits{.max_connections = 2});
  UniqueFd first = connect_client();
  const UniqueFd second = connect_client();
  UniqueFd third = connect_client();
  send_text(third, kGetMetrics);
  turn_for(50ms);
  EXPECT_EQ(server_->connection_count(), 2u);
  bool closed = false;
  EXPECT_EQ(take(third, closed), "");
  EXPECT_FALSE(closed);
  first = UniqueFd{};  // end of stream before a request: the server drops it, a slot frees
  EXPECT_EQ(status_line(answer_of(third)), "HTTP/1.1 200 OK");
  third = UniqueFd{};
  wait_for_connections(1);  // the second, still silent
}

TEST_F(MetricsServerTest, RemovesItsSocketWhenDestroyedAndReplacesAStaleOne) {
  start();
  server_.reset();
  EXPECT_FALSE(std::filesystem::exists(path_));
  {
    // A socket file whose listener is gone, as a killed daemon leaves it.
    UniqueFd stale{::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)};
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path_.c_str(), sizeof(address.sun_path) - 1);
    ASSERT_EQ(::bind(stale.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)), 0);
  }
  ASSERT_TRUE(std::filesystem::exists(path_));
  start();
  const UniqueFd client = connect_client();
  send_text(client, kGetMetrics);
  EXPECT_EQ(status_line(answer_of(client)), "HTTP/1.1 200 OK");
}

TEST_F(MetricsServerTest, OffMeansNoSocket) {
  server_ = std::make_unique<MetricsServer>(
      io_, config::MetricsConfig{}, "", [] { return std::string{}; }, nullptr);
  EXPECT_TRUE(server_->start());
  EXPECT_FALSE(std::filesystem::exists(path_));
}

}  // namespace
}  // namespace tapstack::daemon::metrics
