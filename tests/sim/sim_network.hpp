// Two Stacks joined by an in-memory Ethernet link, one FaultInjector per direction, on a
// virtual clock (DESIGN.md §5: deterministic simulation). Everything is seeded, so a failing
// run replays exactly from its seed.
#pragma once

#include <algorithm>
#include <functional>
#include <memory>

#include "sim/software_offloads.hpp"
#include "stack/fault/fault_injector.hpp"
#include "stack/stack.hpp"

namespace tapstack::sim {

inline const Ipv4Addr kAddrA{10, 0, 0, 1};
inline const Ipv4Addr kAddrB{10, 0, 0, 2};

struct SimSettings {
  std::uint64_t seed = 1;
  FaultSettings a_to_b;
  FaultSettings b_to_a;
  TcpSettings tcp;
  std::uint16_t mtu = 1500;
  std::size_t tx_queue_frames = 4096;  // per stack; the TX buffer pool is a little larger
  // A's device offloads (checksum, TSO), modelled by apply_offloads: A sends 64 KB segments
  // with partial checksums, and the link carries what a kernel would cut them into.
  bool a_offloads = false;
  // The frames a link delivers at one instant reach each stack as one receive batch, as the
  // daemon hands a TAP's completed reads (Stack::begin_receive_batch): routine ACKs coalesce.
  bool receive_batches = false;
  // Virtual time starts far from zero, as the daemon's steady clock does (since boot), so that
  // clock-derived values (timestamps, cookies, ISNs) are exercised away from zero.
  Instant start = at(std::chrono::hours(100));
};

class SimNetwork {
 public:
  explicit SimNetwork(const SimSettings& settings)
      : now_(settings.start),
        start_(settings.start),
        a_(stack_settings(settings, 1, settings.a_offloads)),
        b_(stack_settings(settings, 2, false)),
        a_to_b_(settings.a_to_b, settings.seed * 7 + 3),
        b_to_a_(settings.b_to_a, settings.seed * 11 + 5),
        receive_batches_(settings.receive_batches) {
    a_if_ = a_.add_interface(interface(kAddrA, 0x0a, settings.mtu, settings.a_offloads), now_);
    b_if_ = b_.add_interface(interface(kAddrB, 0x0b, settings.mtu, false), now_);
  }

  // Sees every frame entering a link (true: from A to B), before impairment.
  using FrameObserver = std::function<void(bool a_to_b, wire::Bytes frame, Instant now)>;
  void observe_frames(FrameObserver observer) { observer_ = std::move(observer); }

  // For fuzzing: hands B a frame as if it came off the link, and moves the clock on by `d`
  // running only the timers (no frames move). B's output stays queued in B.
  void inject_into_b(wire::Bytes frame) { b_.receive(b_if_, frame, now_); }
  void skip(Duration d) {
    now_ += d;
    a_.poll(now_);
    b_.poll(now_);
  }

  Stack& a() { return a_; }
  Stack& b() { return b_; }
  Instant now() const { return now_; }
  Duration elapsed() const { return now_ - start_; }
  const FaultInjector& a_to_b() const { return a_to_b_; }
  const FaultInjector& b_to_a() const { return b_to_a_; }

  // Moves frames until nothing more happens at the current instant; `on_idle` runs between
  // rounds (the applications: read, write) and returns whether it did anything.
  void settle(const std::function<bool()>& on_idle) {
    for (int round = 0; round < 100000; ++round) {
      bool moved = pump(a_, a_to_b_);
      moved |= pump(b_, b_to_a_);
      deliver_batch(a_to_b_, b_, b_if_, moved);
      deliver_batch(b_to_a_, a_, a_if_, moved);
      if (on_idle()) moved = true;
      if (!moved) return;
    }
  }

  // Advances virtual time to the next deadline (no further than `limit`) and runs timers.
  // Returns false when nothing is scheduled before `limit`.
  bool advance(Instant limit) {
    const Instant next = std::min(
        {a_.next_deadline(), b_.next_deadline(), a_to_b_.next_deadline(), b_to_a_.next_deadline()});
    if (next > limit) return false;
    now_ = std::max(now_, next);
    a_.poll(now_);
    b_.poll(now_);
    return true;
  }

  // Runs until `done()` or until virtual time reaches `limit` (the clock then stands at
  // `limit`, as if the network had been idle until then). Returns done().
  bool run_until(const std::function<bool()>& done, const std::function<bool()>& on_idle,
                 Instant limit) {
    for (;;) {
      settle(on_idle);
      if (done()) return true;
      if (!advance(limit)) {
        now_ = std::max(now_, limit);
        a_.poll(now_);
        b_.poll(now_);
        settle(on_idle);
        return done();
      }
    }
  }

 private:
  static StackSettings stack_settings(const SimSettings& s, std::uint64_t which, bool offloads) {
    StackSettings settings;
    settings.seed = s.seed * 1000 + which;
    settings.tcp = s.tcp;
    settings.max_mtu = s.mtu;
    settings.tx_queue_frames = s.tx_queue_frames;
    settings.tx_buffer_count = s.tx_queue_frames + 64;
    if (offloads) settings.gso_buffer_count = 64;
    return settings;
  }

  static InterfaceSettings interface(Ipv4Addr address, std::uint8_t mac_tail, std::uint16_t mtu,
                                     bool offloads) {
    InterfaceSettings settings;
    settings.offloads = offloads;
    settings.mac = MacAddr{{0x02, 0, 0, 0, 0, mac_tail}};
    settings.mtu = mtu;
    settings.addresses = {Ipv4Cidr{address, 24}};
    return settings;
  }

  void deliver_batch(FaultInjector& link, Stack& to, InterfaceId to_if, bool& moved) {
    if (receive_batches_) to.begin_receive_batch();
    link.deliver_due(now_, [&](wire::Bytes f) {
      to.receive(to_if, f, now_);
      moved = true;
    });
    if (receive_batches_) to.end_receive_batch(now_);
  }

  bool pump(Stack& from, FaultInjector& link) {
    bool moved = false;
    while (auto frame = from.pop_tx()) {
      const auto put = [&](wire::Bytes bytes) {
        if (observer_) observer_(&from == &a_, bytes, now_);
        link.push(bytes, now_);
      };
      if (frame->frame.offload().checksum_partial) {
        for (const FrameBytes& piece : apply_offloads(frame->frame)) put(piece);
      } else {
        put(frame->frame.data());
      }
      moved = true;
    }
    return moved;
  }

  Instant now_;
  Instant start_;
  Stack a_;
  Stack b_;
  FaultInjector a_to_b_;
  FaultInjector b_to_a_;
  bool receive_batches_;
  InterfaceId a_if_ = 0;
  InterfaceId b_if_ = 0;
  FrameObserver observer_;
};

}  // namespace tapstack::sim
