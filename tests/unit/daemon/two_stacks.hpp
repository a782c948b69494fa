// Two Stacks joined by an in-memory wire on a virtual clock: stack A runs the built-in services,
// stack B is the client. Every frame one stack emits is delivered to the other in order (the
// client-to-server direction through an optional, seeded FaultInjector); when nothing moves,
// time jumps to the earliest deadline. Deterministic.
#pragma once

#include <algorithm>
#include <array>
#include <functional>
#include <optional>
#include <string>

#include "daemon/services/services.hpp"
#include "stack/fault/fault_injector.hpp"
#include "stack/stack.hpp"
#include "stack/tcp/tcp_layer.hpp"

namespace tapstack::daemon::services::testing {

inline const Ipv4Addr kServerAddr{10, 0, 0, 2};
inline const Ipv4Addr kClientAddr{10, 0, 0, 1};

// One client connection driven like a non-blocking socket: it sends `to_send` (then shuts down
// its sending side if asked) and reads everything into `received` while `reading`.
class Client {
 public:
  Client(TcpLayer& tcp, std::uint16_t port, Instant now) : tcp_(tcp) {
    const auto socket =
        tcp_.connect(SocketAddress{}, SocketAddress{kServerAddr, port}, TcpSocketOptions{}, now);
    if (socket) socket_ = *socket;
  }

  std::string to_send;
  bool shutdown_after_sending = false;
  bool reading = true;
  std::string received;
  bool end_of_stream = false;
  std::optional<SocketError> error;
  std::size_t sent = 0;

  // One round of non-blocking calls; true when something moved.
  bool step(Instant now) {
    bool progress = false;
    if (sent < to_send.size()) {
      const auto result = tcp_.send(socket_, bytes(std::string_view{to_send}.substr(sent)), now);
      if (result) {
        sent += *result;
        progress = true;
      } else if (result.error() != SocketError::would_block) {
        error = result.error();
      }
    }
    if (sent == to_send.size() && shutdown_after_sending && !shut_down_ &&
        tcp_.shutdown_send(socket_, now)) {
      shut_down_ = true;
      progress = true;
    }
    while (reading && !end_of_stream && !error) {
      std::array<char, 16384> buffer;
      const auto result =
          tcp_.receive(socket_, std::as_writable_bytes(std::span{buffer}), false, now);
      if (!result) {
        if (result.error() != SocketError::would_block) error = result.error();
        break;
      }
      if (*result == 0) end_of_stream = true;
      received.append(buffer.data(), *result);
      progress = true;
    }
    return progress;
  }

  void close(Instant now) { tcp_.close(socket_, now); }

 private:
  static std::span<const std::byte> bytes(std::string_view text) {
    return std::as_bytes(std::span{text.data(), text.size()});
  }

  TcpLayer& tcp_;
  SocketHandle socket_;
  bool shut_down_ = false;
};

class TwoStacks {
 public:
  // `client_to_server` impairs the frames toward the services (lossless by default).
  explicit TwoStacks(const FaultSettings& client_to_server = {})
      : server_(settings(1)), client_(settings(2)), client_to_server_(client_to_server, 7) {
    server_if_ = server_.add_interface(interface(kServerAddr, 0x0a), now_);
    client_if_ = client_.add_interface(interface(kClientAddr, 0x0b), now_);
    config::ServicesConfig config;
    if (!services_.start(config)) std::abort();
  }

  Stack& server() { return server_; }
  Stack& client() { return client_; }
  Services& services() { return services_; }
  Instant now() const { return now_; }

  std::unique_ptr<Client> connect(std::uint16_t port) {
    return std::make_unique<Client>(client_.tcp(), port, now_);
  }

  // Runs frames, events and `app` (the client program; true when it did something) until
  // `done()` or until virtual time passes `limit` from now. Returns done().
  bool run_until(const std::function<bool()>& done, const std::function<bool(Instant)>& app,
                 Duration limit = std::chrono::seconds(60)) {
    const Instant end = now_ + limit;
    for (;;) {
      settle(app, done);
      if (done()) return true;
      const Instant next = std::min(
          {server_.next_deadline(), client_.next_deadline(), client_to_server_.next_deadline()});
      if (next > end) return done();
      now_ = std::max(now_, next);
      server_.poll(now_);
      client_.poll(now_);
    }
  }

 private:
  // Moves frames and events until nothing moves at this instant or `done()`: on a wire without
  // delay a sender and a reader that keep up never go idle.
  void settle(const std::function<bool(Instant)>& app, const std::function<bool()>& done) {
    for (int round = 0; round < 1'000'000; ++round) {
      if (done()) return;
      bool moved = forward(server_, client_, client_if_);
      while (auto frame = client_.pop_tx()) {
        client_to_server_.push(frame->frame.data(), now_);
        moved = true;
      }
      client_to_server_.deliver_due(now_, [&](wire::Bytes frame) {
        server_.receive(server_if_, frame, now_);
        moved = true;
      });
      while (const auto event = server_.tcp().pop_event()) {
        services_.handle(*event, now_);
        moved = true;
      }
      while (client_.tcp().pop_event()) moved = true;  // the client polls its sockets instead
      moved |= app(now_);
      if (!moved) return;
    }
    std::abort();  // a livelock: the test would hang otherwise
  }

  bool forward(Stack& from, Stack& to, InterfaceId to_interface) {
    bool moved = false;
    while (auto frame = from.pop_tx()) {
      to.receive(to_interface, frame->frame.data(), now_);
      moved = true;
    }
    return moved;
  }

  static StackSettings settings(std::uint64_t seed) {
    StackSettings settings;
    settings.seed = seed;
    settings.tx_queue_frames = 8192;
    settings.tx_buffer_count = 8192;
    return settings;
  }

  static InterfaceSettings interface(Ipv4Addr address, std::uint8_t mac_tail) {
    InterfaceSettings settings;
    settings.mac = MacAddr{{0x02, 0, 0, 0, 0, mac_tail}};
    settings.addresses = {Ipv4Cidr{address, 24}};
    return settings;
  }

  Instant now_{};
  Stack server_;
  Stack client_;
  InterfaceId server_if_ = 0;
  InterfaceId client_if_ = 0;
  FaultInjector client_to_server_;
  Services services_{server_.tcp(), "test", now_};
};

}  // namespace tapstack::daemon::services::testing
