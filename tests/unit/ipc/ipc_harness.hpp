// An IpcServer on stack A of a SimNetwork, a peer program on stack B using the TcpLayer
// directly, and libtapstack clients in the same thread: each client call runs loop turns
// (Client::set_waiter) until its reply arrives. Virtual time moves only when a turn did nothing.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "daemon/ipc/ipc_server.hpp"
#include "ipc/client.hpp"
#include "sim/sim_network.hpp"
#include "stack/tcp/tcp_layer.hpp"

namespace tapstack::ipc::testing {

// The program on stack B: listens and/or connects; records what it receives; optionally echoes.
class Peer {
 public:
  struct Connection {
    SocketHandle handle;
    std::string received;
    std::string to_send;
    bool echo = false;
    bool fin = false;              // end of stream read
    bool shut_after_send = false;  // shutdown_send once to_send is empty
    std::optional<SocketError> error;
  };

  explicit Peer(TcpLayer& tcp) : tcp_(tcp) {}

  void listen(std::uint16_t port, bool echo) {
    const auto handle = tcp_.listen(SocketAddress{sim::kAddrB, port}, 16, {});
    ASSERT_TRUE(handle.has_value());
    listeners_[handle->index] = {*handle, echo};
  }
  Connection& connect(SocketAddress remote, Instant now) {
    const auto handle = tcp_.connect(SocketAddress{}, remote, {}, now);
    EXPECT_TRUE(handle.has_value());
    Connection& connection = connections_[handle->index];
    connection.handle = *handle;
    return connection;
  }
  // The first (or only) connection, accepted or opened.
  Connection* first() { return connections_.empty() ? nullptr : &connections_.begin()->second; }
  std::size_t accepted() const { return accepted_; }

  bool reading = true;  // false: leave received data in TCP (flow control tests)

  bool handle(const TcpSocketEvent& event, Instant now) {
    if (const auto it = listeners_.find(event.socket.index); it != listeners_.end()) {
      while (const auto child = tcp_.accept(it->second.first)) {
        Connection& connection = connections_[child->index];
        connection.handle = *child;
        connection.echo = it->second.second;
        ++accepted_;
        serve(connections_[child->index], now);
      }
      return true;
    }
    const auto it = connections_.find(event.socket.index);
    if (it == connections_.end()) return false;
    if ((event.events & tcp_event::error) != 0) it->second.error = tcp_.take_error(event.socket);
    serve(it->second, now);
    return true;
  }

  // Moves what it can; returns whether anything moved.
  bool serve_all(Instant now) {
    bool moved = false;
    for (auto& [index, connection] : connections_) moved |= serve(connection, now);
    return moved;
  }

 private:
  bool serve(Connection& c, Instant now) {
    bool moved = false;
    std::array<std::byte, 16384> buffer{};
    while (reading && !c.fin) {
      const auto n = tcp_.receive(c.handle, buffer, false, now);
      if (!n) {
        if (n.error() != SocketError::would_block && !c.error) c.error = n.error();
        break;
      }
      moved = true;
      if (*n == 0) {
        c.fin = true;
        if (c.echo) c.shut_after_send = true;
        break;
      }
      const std::string text(reinterpret_cast<const char*>(buffer.data()), *n);
      c.received += text;
      if (c.echo) c.to_send += text;
    }
    while (!c.to_send.empty()) {
      const auto n = tcp_.send(c.handle, as_bytes(std::span{c.to_send}), now);
      if (!n || *n == 0) break;
      c.to_send.erase(0, *n);
      moved = true;
    }
    if (c.to_send.empty() && c.shut_after_send) {
      c.shut_after_send = false;
      (void)tcp_.shutdown_send(c.handle, now);
      moved = true;
    }
    return moved;
  }

  TcpLayer& tcp_;
  std::map<std::uint32_t, std::pair<SocketHandle, bool>> listeners_;
  std::map<std::uint32_t, Connection> connections_;
  std::size_t accepted_ = 0;
};

class IpcHarness {
 public:
  explicit IpcHarness(daemon::ipc::IpcServerSettings settings = {})
      : sim_(sim::SimSettings{}), peer_(sim_.b().tcp()) {
    char pattern[] = "/tmp/tapstack-ipc-test-XXXXXX";
    directory_ = ::mkdtemp(pattern);
    settings.socket_path = directory_ + "/run/tapstack.sock";  // run/ is created by start()
    path_ = settings.socket_path;
    server_ = std::make_unique<daemon::ipc::IpcServer>(
        io_, sim_.a().tcp(), sim_.a().udp(), settings,
        [this](config::LogLevel level, std::string_view line) {
          if (level >= config::LogLevel::warn) warnings_.emplace_back(line);
        });
    const auto started = server_->start();
    EXPECT_TRUE(started.has_value()) << started.error();
  }
  ~IpcHarness() {
    server_->stop(sim_.now());
    std::filesystem::remove_all(directory_);
  }

  // One loop turn, as tapstackd's: Asio readiness, IPC service, TCP events, frames.
  bool turn() {
    bool did = io_.poll() > 0;
    const Instant now = sim_.now();
    server_->service(now);
    sim_.settle([&] {
      bool moved = false;
      while (const auto event = sim_.a().tcp().pop_event()) {
        EXPECT_TRUE(server_->handle(*event, sim_.now()));
        moved = true;
      }
      while (const auto event = sim_.a().udp().pop_event()) {
        EXPECT_TRUE(server_->handle(*event, sim_.now()));
        moved = true;
      }
      while (const auto event = sim_.b().tcp().pop_event()) {
        EXPECT_TRUE(peer_.handle(*event, sim_.now()));
        moved = true;
      }
      while (const auto event = sim_.b().udp().pop_event()) {
        udp_echo(event->socket);
        moved = true;
      }
      moved |= peer_.serve_all(sim_.now());
      did |= moved;
      return moved;
    });
    return did;
  }

  // A turn; when it did nothing, virtual time moves to the next deadline (or 10 ms on).
  void step() {
    if (++steps_ > kMaxSteps) {
      ADD_FAILURE() << "the test made no progress in " << kMaxSteps << " steps";
      std::abort();
    }
    if (turn()) return;
    if (!sim_.advance(sim_.now() + std::chrono::hours(1))) {
      sim_.skip(std::chrono::milliseconds(10));
    }
  }
  // Steps until `done()` (or fails after `limit` steps).
  template <typename Done>
  bool run_until(Done done, int limit = 20000) {
    for (int i = 0; i < limit; ++i) {
      if (done()) return true;
      step();
    }
    return done();
  }

  std::unique_ptr<Client> client() {
    auto client = Client::connect(path_, [this] { step(); });
    EXPECT_TRUE(client.has_value()) << (client ? 0 : client.error());
    if (!client) return nullptr;
    return std::move(*client);
  }

  // A UDP echo on stack B at `port`: every datagram goes back to its source.
  void udp_echo_on(std::uint16_t port) {
    auto& udp = sim_.b().udp();
    const auto handle = udp.open({});
    ASSERT_TRUE(handle.has_value());
    ASSERT_TRUE(udp.bind(*handle, SocketAddress{sim::kAddrB, port}).has_value());
  }
  std::size_t udp_echoed() const { return udp_echoed_; }

  daemon::ipc::IpcServer& server() { return *server_; }
  sim::SimNetwork& sim() { return sim_; }
  Peer& peer() { return peer_; }
  const std::string& path() const { return path_; }
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  static constexpr int kMaxSteps = 2'000'000;

  void udp_echo(SocketHandle socket) {
    auto& udp = sim_.b().udp();
    std::vector<std::byte> buffer(UdpLayer::kMaxPayload);
    while (const auto got = udp.receive(socket, buffer, false)) {
      (void)udp.send_to(socket, got->source, std::span{buffer}.first(got->size), sim_.now());
      ++udp_echoed_;
    }
  }

  boost::asio::io_context io_{1};
  // poll() stops an io_context that ran out of work; the daemon's signal wait prevents that.
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{
      io_.get_executor()};
  sim::SimNetwork sim_;
  Peer peer_;
  std::string directory_;
  std::string path_;
  std::vector<std::string> warnings_;
  std::unique_ptr<daemon::ipc::IpcServer> server_;
  int steps_ = 0;
  std::size_t udp_echoed_ = 0;
};

}  // namespace tapstack::ipc::testing
