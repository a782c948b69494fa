// libtapstack as the shim uses it: blocking calls, no waiter, the daemon's loop in another
// thread (the harness is touched only by that thread until it is joined). Also: a daemon that
// goes away turns every call into ENETDOWN instead of a hang.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <thread>

#include "ipc_harness.hpp"

namespace tapstack::ipc {
namespace {

using testing::IpcHarness;

// Runs the harness's loop in a thread until stopped; `on_stop` runs in that thread at the end.
class LoopThread {
 public:
  explicit LoopThread(IpcHarness& h, std::function<void()> on_stop = {})
      : thread_([this, &h, on_stop = std::move(on_stop)] {
          while (!stop_) {
            if (!h.turn()) std::this_thread::yield();
            // Virtual time follows the loop, so timers (delayed ACKs) fire too.
            if (!h.sim().advance(h.sim().now() + std::chrono::milliseconds(1))) {
              h.sim().skip(std::chrono::milliseconds(1));
            }
          }
          if (on_stop) on_stop();
        }) {}
  ~LoopThread() { join(); }
  void join() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

TEST(IpcBlockingClient, EchoThroughBlockingCallsAndFds) {
  IpcHarness h;
  h.peer().listen(7, /*echo=*/true);
  LoopThread loop{h};
  auto connected = Client::connect(h.path());
  ASSERT_TRUE(connected.has_value()) << connected.error();
  Client& client = **connected;
  const auto socket = client.socket(SocketKind::tcp);
  ASSERT_TRUE(socket.has_value());
  ASSERT_TRUE(client.connect(*socket, SocketAddress{sim::kAddrB, 7}).has_value());
  ASSERT_TRUE(client.finish_connect(*socket).has_value());

  std::string sent(200000, 'x');
  for (std::size_t i = 0; i < sent.size(); ++i) sent[i] = static_cast<char>('A' + i % 53);
  std::thread writer([&] {
    EXPECT_TRUE(write_all(socket->fd, sent));
    EXPECT_TRUE(client.shutdown(*socket, ShutdownHow::write).has_value());
  });
  std::string echoed;
  char buffer[8192];
  for (;;) {
    const ssize_t n = ::read(socket->fd, buffer, sizeof(buffer));  // blocking, as a program
    if (n <= 0) break;
    echoed.append(buffer, static_cast<std::size_t>(n));
  }
  writer.join();
  EXPECT_TRUE(echoed == sent) << echoed.size();
  ::close(socket->fd);
}

TEST(IpcBlockingClient, DaemonGoingAwayFailsCallsInsteadOfHanging) {
  IpcHarness h;
  auto* harness = &h;
  LoopThread loop{h, [harness] { harness->server().stop(harness->sim().now()); }};
  auto connected = Client::connect(h.path());
  ASSERT_TRUE(connected.has_value());
  Client& client = **connected;
  const auto socket = client.socket(SocketKind::tcp);
  ASSERT_TRUE(socket.has_value());
  loop.join();  // the daemon stops: every client and socket is closed
  const auto after = client.socket(SocketKind::tcp);
  ASSERT_FALSE(after.has_value());
  EXPECT_EQ(after.error(), Client::kDaemonGone);
  // The data channel reads EOF (ECONNRESET: the daemon's end closed with the filler unread)
  // instead of blocking forever.
  char byte = 0;
  const ssize_t n = ::read(socket->fd, &byte, 1);
  EXPECT_TRUE(n == 0 || (n < 0 && errno == ECONNRESET)) << n << " " << errno;
  ::close(socket->fd);
}

}  // namespace
}  // namespace tapstack::ipc
