// Many concurrent idle TCP connections, for the scale benchmark (bench/bench_scale.py).
//
//   idle_connections open HOST PORT COUNT SOURCE[,SOURCE...]
//       opens COUNT connections to HOST:PORT, spread over the local SOURCE addresses (one
//       address has only ~64,000 ephemeral ports towards one server port), at most kInFlight
//       handshakes at a time; prints {"connections", "failed", "seconds"}; then checks every
//       kProbeStride-th connection with a 1-byte echo and prints {"probed", "echoed"}; then
//       holds them all, idle, until stdin closes or SIGTERM.
//   idle_connections serve PORT
//       an epoll echo server (RFC 862) that holds any number of connections: the kernel baseline.
//       SO_REUSEPORT, so that several processes share the port and the connections.
//
// One descriptor per connection: where RLIMIT_NOFILE cannot be raised enough (no
// CAP_SYS_RESOURCE), the caller runs several of each and splits COUNT among them.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kInFlight = 256;     // handshakes at once: fewer than the stack's SYN backlog
constexpr int kProbeStride = 100;  // every 100th connection is checked with an echo
constexpr int kEventBatch = 1024;

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "idle_connections: %s: %s\n", what, std::strerror(errno));
  std::exit(1);
}

sockaddr_in address_of(const std::string& host, int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1) die(host.c_str());
  return address;
}

std::vector<sockaddr_in> parse_sources(const std::string& list) {
  std::vector<sockaddr_in> sources;
  std::size_t start = 0;
  while (start <= list.size()) {
    const std::size_t comma = std::min(list.find(',', start), list.size());
    sources.push_back(address_of(list.substr(start, comma - start), 0));
    start = comma + 1;
  }
  return sources;
}

// A non-blocking connect from `source`. IP_BIND_ADDRESS_NO_PORT defers the port choice to
// connect(), so ports are unique per 4-tuple rather than per source address.
int start_connect(const sockaddr_in& source, const sockaddr_in& server) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (fd < 0) die("socket");
  const int one = 1;
  ::setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&source), sizeof source) != 0) die("bind");
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&server), sizeof server) != 0 &&
      errno != EINPROGRESS) {
    die("connect");
  }
  return fd;
}

struct Opened {
  std::vector<int> connected;
  int failed = 0;
};

Opened open_all(const sockaddr_in& server, const std::vector<sockaddr_in>& sources, int count) {
  const int epoll = ::epoll_create1(0);
  if (epoll < 0) die("epoll_create1");
  Opened opened;
  opened.connected.reserve(static_cast<std::size_t>(count));
  int started = 0;
  int pending = 0;
  std::vector<epoll_event> events(kEventBatch);
  while (static_cast<int>(opened.connected.size()) + opened.failed < count) {
    while (pending < kInFlight && started < count) {
      const int fd =
          start_connect(sources[static_cast<std::size_t>(started) % sources.size()], server);
      epoll_event event{.events = EPOLLOUT, .data = {.fd = fd}};
      if (::epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event) != 0) die("epoll_ctl");
      ++started;
      ++pending;
    }
    const int ready = ::epoll_wait(epoll, events.data(), kEventBatch, 30'000);
    if (ready <= 0) die("no handshake completed within 30 s");
    for (int i = 0; i < ready; ++i) {
      const int fd = events[static_cast<std::size_t>(i)].data.fd;
      ::epoll_ctl(epoll, EPOLL_CTL_DEL, fd, nullptr);
      int error = 0;
      socklen_t length = sizeof error;
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
      --pending;
      if (error == 0) {
        opened.connected.push_back(fd);
      } else {
        ++opened.failed;
        ::close(fd);
      }
    }
  }
  ::close(epoll);
  return opened;
}

// One byte out and back on every kProbeStride-th connection: the connections are real.
int probe(const std::vector<int>& connected) {
  int echoed = 0;
  for (std::size_t i = 0; i < connected.size(); i += kProbeStride) {
    const int fd = connected[i];
    ::fcntl(fd, F_SETFL, 0);
    const timeval timeout{.tv_sec = 5, .tv_usec = 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    char byte = 'p';
    if (::write(fd, &byte, 1) == 1 && ::read(fd, &byte, 1) == 1 && byte == 'p') ++echoed;
  }
  return echoed;
}

int open_and_hold(const std::string& host, int port, int count, const std::string& sources) {
  const auto server = address_of(host, port);
  const auto start = Clock::now();
  const Opened opened = open_all(server, parse_sources(sources), count);
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("{\"connections\": %zu, \"failed\": %d, \"seconds\": %.3f}\n",
              opened.connected.size(), opened.failed, seconds);
  std::fflush(stdout);
  // The caller measures memory between the two lines, then asks for the probe by a newline.
  char line[16];
  if (std::fgets(line, sizeof line, stdin) == nullptr) return 0;
  const std::size_t probed = (opened.connected.size() + kProbeStride - 1) / kProbeStride;
  std::printf("{\"probed\": %zu, \"echoed\": %d}\n", probed, probe(opened.connected));
  std::fflush(stdout);
  while (std::fgets(line, sizeof line, stdin) != nullptr) {
  }
  return 0;
}

void echo_or_close(int fd) {
  char buffer[4096];
  const ssize_t n = ::read(fd, buffer, sizeof buffer);
  if (n > 0 && ::write(fd, buffer, static_cast<std::size_t>(n)) == n) return;
  if (n < 0 && errno == EAGAIN) return;
  ::close(fd);  // closing also removes it from the epoll set
}

int serve(int port) {
  // A client that leaves mid-write must not end the server (which serves the next round).
  ::signal(SIGPIPE, SIG_IGN);
  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (listener < 0) die("socket");
  const int one = 1;
  ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  ::setsockopt(listener, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  const auto address = address_of("0.0.0.0", port);
  if (::bind(listener, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    die("bind");
  }
  if (::listen(listener, 4096) != 0) die("listen");
  const int epoll = ::epoll_create1(0);
  epoll_event event{.events = EPOLLIN, .data = {.fd = listener}};
  ::epoll_ctl(epoll, EPOLL_CTL_ADD, listener, &event);
  std::vector<epoll_event> events(kEventBatch);
  for (;;) {
    const int ready = ::epoll_wait(epoll, events.data(), kEventBatch, -1);
    for (int i = 0; i < ready; ++i) {
      const int fd = events[static_cast<std::size_t>(i)].data.fd;
      if (fd != listener) {
        echo_or_close(fd);
        continue;
      }
      int client;
      while ((client = ::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK)) >= 0) {
        epoll_event readable{.events = EPOLLIN, .data = {.fd = client}};
        ::epoll_ctl(epoll, EPOLL_CTL_ADD, client, &readable);
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::string{argv[1]} == "serve") return serve(std::atoi(argv[2]));
  if (argc == 6 && std::string{argv[1]} == "open") {
    return open_and_hold(argv[2], std::atoi(argv[3]), std::atoi(argv[4]), argv[5]);
  }
  std::fprintf(stderr,
               "usage: idle_connections open HOST PORT COUNT SOURCE[,SOURCE...] | serve PORT\n");
  return 2;
}
