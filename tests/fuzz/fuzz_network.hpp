// The world the stack fuzzer starts from, built the same way by the fuzzer and by the seed
// generator (so recorded frames fit it exactly): stack B (10.0.0.2) listens on TCP 80 and 7 and
// holds one established connection from stack A (10.0.0.1) that has carried a little data.
// Everything is seeded: the same setup gives the same sequence numbers every time.
#pragma once

#include <array>
#include <optional>
#include <vector>

#include "sim/sim_network.hpp"
#include "stack/tcp/tcp_layer.hpp"

namespace tapstack::fuzz {

class FuzzNetwork {
 public:
  FuzzNetwork() : net_(settings()) {
    listeners_.push_back(*net_.b().tcp().listen({Ipv4Addr::any(), 80}, 64, {}));
    listeners_.push_back(*net_.b().tcp().listen({Ipv4Addr::any(), 7}, 64, {}));
    client_ = *net_.a().tcp().connect({}, {sim::kAddrB, 80}, {}, net_.now());
    run(std::chrono::milliseconds(10));
    const std::array<std::byte, 100> hello{};
    (void)net_.a().tcp().send(client_, hello, net_.now());
    run(std::chrono::milliseconds(10));
  }

  sim::SimNetwork& net() { return net_; }
  SocketHandle client() const { return client_; }

  // Runs both stacks and B's application for `d` of virtual time.
  void run(Duration d) {
    net_.run_until([] { return false; }, [this] { return serve_b(); }, net_.now() + d);
  }

  // B's application: accept, read everything, answer each read with a few bytes.
  bool serve_b() {
    bool progress = false;
    while (net_.b().tcp().pop_event()) progress = true;
    for (const SocketHandle listener : listeners_) {
      while (auto accepted = net_.b().tcp().accept(listener)) {
        if (servers_.size() >= 64) {
          net_.b().tcp().close(*accepted, net_.now());
          continue;
        }
        servers_.push_back(*accepted);
        progress = true;
      }
    }
    std::array<std::byte, 2048> buffer;
    for (const SocketHandle server : servers_) {
      while (auto n = net_.b().tcp().receive(server, buffer, false, net_.now())) {
        if (*n == 0) break;
        (void)net_.b().tcp().send(server, std::span{buffer}.first(std::min<std::size_t>(*n, 64)),
                                  net_.now());
        progress = true;
      }
    }
    return progress;
  }

 private:
  static sim::SimSettings settings() {
    sim::SimSettings s;
    s.seed = 20261122;
    s.tx_queue_frames = 192;  // small pools: the world is built anew for every input
    return s;
  }

  sim::SimNetwork net_;
  std::vector<SocketHandle> listeners_;
  SocketHandle client_;
  std::vector<SocketHandle> servers_;
};

}  // namespace tapstack::fuzz
