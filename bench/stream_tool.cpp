// A minimal TCP stream client and server for the benchmarks, so that the kernel baseline and
// tapstack are measured with the same program and no interpreter in the way.
//
//   stream_tool serve discard|chargen PORT      serve one connection at a time until killed
//   stream_tool send HOST PORT BYTES            write BYTES (then half-close, wait for EOF)
//   stream_tool recv HOST PORT BYTES            read BYTES
//   stream_tool pingpong HOST PORT COUNT        COUNT 1-byte round trips to an echo service
//
// Prints one line of JSON: bytes, seconds, gbit_s and cpu_s, this process's user + system CPU
// time (or p50_us/p99_us for pingpong).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
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
constexpr std::size_t kChunk = 1 << 20;

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "stream_tool: %s: %s\n", what, std::strerror(errno));
  std::exit(1);
}

std::vector<char> pattern_chunk() {
  // 251 * 4177 bytes: a whole number of pattern cycles, so consecutive chunks continue it.
  std::vector<char> chunk(251 * 4177);
  for (std::size_t i = 0; i < chunk.size(); ++i) chunk[i] = static_cast<char>(i % 251);
  return chunk;
}

int connect_to(const char* host, const char* port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) die("socket");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(std::atoi(port)));
  if (::inet_pton(AF_INET, host, &address.sin_addr) != 1) die("address");
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) die("connect");
  return fd;
}

double cpu_seconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

void report(std::uint64_t bytes, Clock::time_point start) {
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("{\"bytes\": %llu, \"seconds\": %.3f, \"gbit_s\": %.3f, \"cpu_s\": %.3f}\n",
              static_cast<unsigned long long>(bytes), seconds,
              static_cast<double>(bytes) * 8 / seconds / 1e9, cpu_seconds());
}

int send_bytes(int fd, std::uint64_t total) {
  const auto chunk = pattern_chunk();
  const auto start = Clock::now();
  std::uint64_t sent = 0;
  while (sent < total) {
    const std::size_t want =
        static_cast<std::size_t>(std::min<std::uint64_t>(chunk.size(), total - sent));
    const ssize_t n = ::write(fd, chunk.data(), want);
    if (n < 0) die("write");
    sent += static_cast<std::uint64_t>(n);
  }
  ::shutdown(fd, SHUT_WR);
  char byte;
  while (::read(fd, &byte, 1) > 0) {
  }
  report(sent, start);
  return 0;
}

int recv_bytes(int fd, std::uint64_t total) {
  std::vector<char> buffer(kChunk);
  const auto start = Clock::now();
  std::uint64_t received = 0;
  while (received < total) {
    const std::size_t want =
        static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), total - received));
    const ssize_t n = ::read(fd, buffer.data(), want);
    if (n < 0) die("read");
    if (n == 0) break;
    received += static_cast<std::uint64_t>(n);
  }
  report(received, start);
  return received == total ? 0 : 1;
}

int pingpong(int fd, int count) {
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  std::vector<double> micros;
  micros.reserve(static_cast<std::size_t>(count));
  char byte = 'x';
  for (int i = 0; i < count; ++i) {
    const auto start = Clock::now();
    if (::write(fd, &byte, 1) != 1) die("write");
    if (::read(fd, &byte, 1) != 1) die("read");
    micros.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
  }
  std::sort(micros.begin(), micros.end());
  std::printf("{\"count\": %d, \"p50_us\": %.1f, \"p99_us\": %.1f}\n", count,
              micros[micros.size() / 2], micros[micros.size() * 99 / 100]);
  return 0;
}

int serve(const std::string& mode, const char* port) {
  // A client that leaves mid-write must not end the server (which serves the next round).
  ::signal(SIGPIPE, SIG_IGN);
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  if (listener < 0) die("socket");
  const int one = 1;
  ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(std::atoi(port)));
  if (::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) die("bind");
  if (::listen(listener, 16) != 0) die("listen");
  const auto chunk = pattern_chunk();
  std::vector<char> buffer(kChunk);
  for (;;) {
    const int fd = ::accept(listener, nullptr, nullptr);
    if (fd < 0) continue;
    if (mode == "chargen") {
      while (::write(fd, chunk.data(), chunk.size()) > 0) {
      }
    } else if (mode == "echo") {
      ssize_t n;
      while ((n = ::read(fd, buffer.data(), buffer.size())) > 0) {
        if (::write(fd, buffer.data(), static_cast<std::size_t>(n)) != n) break;
      }
    } else {
      while (::read(fd, buffer.data(), buffer.size()) > 0) {
      }
    }
    ::close(fd);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 4 && std::string{argv[1]} == "serve") return serve(argv[2], argv[3]);
  if (argc == 5) {
    const std::string command = argv[1];
    const int fd = connect_to(argv[2], argv[3]);
    const auto amount = std::strtoull(argv[4], nullptr, 10);
    if (command == "send") return send_bytes(fd, amount);
    if (command == "recv") return recv_bytes(fd, amount);
    if (command == "pingpong") return pingpong(fd, static_cast<int>(amount));
  }
  std::fprintf(stderr,
               "usage: stream_tool serve discard|chargen|echo PORT | send|recv HOST PORT BYTES |"
               " pingpong HOST PORT COUNT\n");
  return 2;
}
