// Test harness for segment-level TcpConnection tests: a SegmentOutput that captures every sent
// segment as a value, builders for the peer's segments, and a virtual clock that fires the
// connection's timers in deadline order.
//
// Numbering used by every test: our ISS is 1000 (our first data byte is 1001), the peer's ISS
// is 5000 (its first data byte is 5001). The route MTU is 1500, so our MSS is 1460.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "stack/tcp/connection.hpp"

namespace tapstack::tcp_test {

using namespace std::chrono_literals;
using wire::TcpFlags;

inline constexpr std::uint32_t kIss = 1000;
inline constexpr std::uint32_t kPeerIss = 5000;
inline constexpr std::uint16_t kMtu = 1500;
inline constexpr std::uint32_t kTsOffset = 1000;  // TSval = virtual ms + offset (RFC 7323 §5.4)
inline constexpr std::uint16_t kPeerMss = 1460;

// One segment the connection transmitted.
struct Sent {
  std::uint32_t seq = 0;
  std::uint32_t ack = 0;
  std::uint8_t flags = 0;
  std::uint16_t window = 0;
  wire::TcpOptions options;
  std::vector<std::byte> payload;
  std::uint32_t segment_size = 0;  // what the device would cut a longer payload into (TSO)

  bool has(std::uint8_t flag) const { return (flags & flag) != 0; }
  // Exactly these flags.
  bool is(std::uint8_t expected) const { return flags == expected; }
  std::uint32_t len() const { return static_cast<std::uint32_t>(payload.size()); }
};

class CapturingOutput : public SegmentOutput {
 public:
  void transmit(const FourTuple&, const wire::TcpHeader& header,
                std::span<const wire::Bytes> payload, std::uint32_t segment_size) override {
    Sent s{header.seq.value(), header.ack.value(), header.flags, header.window, header.options, {},
           segment_size};
    for (const auto part : payload) s.payload.insert(s.payload.end(), part.begin(), part.end());
    sent.push_back(std::move(s));
  }
  bool has_room() const override { return room; }
  bool has_large_room() const override { return large_room; }
  bool in_receive_batch() const override { return batch; }

  std::vector<Sent> sent;
  bool room = true;        // false: the device queue is full (backpressure)
  bool large_room = true;  // false: no 64 KB buffer free for a TSO segment
  bool batch = false;      // true: segments arrive as one receive batch (TcpLayer::begin_batch)
};

// The peer's side of a segment: fields in plain integers, built into a SegmentIn on delivery.
struct Peer {
  std::uint32_t seq = kPeerIss + 1;
  std::uint32_t ack = kIss + 1;
  std::uint8_t flags = TcpFlags::ack;
  std::uint16_t window = 65535;
  wire::TcpOptions options;
  std::size_t payload = 0;  // bytes of data (the byte at offset i is i % 251)
};

class ConnectionTest : public ::testing::Test {
 protected:
  ConnectionTest() {
    tuple_.local_addr = Ipv4Addr{10, 0, 0, 1};
    tuple_.local_port = 40000;
    tuple_.remote_addr = Ipv4Addr{10, 0, 0, 2};
    tuple_.remote_port = 80;
  }

  // Creates the connection (CLOSED) at the current time.
  TcpConnection& make(const TcpSocketOptions& options = {}, std::uint16_t mtu = kMtu) {
    conn_ = std::make_unique<TcpConnection>(TcpConnection::Context{settings_, out_, counters_},
                                            tuple_, options, mtu, kTsOffset, now_);
    return *conn_;
  }
  TcpConnection& conn() { return *conn_; }

  // Segments sent since the last take.
  std::vector<Sent> take() { return std::exchange(out_.sent, {}); }
  // Exactly one segment must have been sent; returns it.
  Sent take_one() {
    auto all = take();
    EXPECT_EQ(all.size(), 1U);
    return all.empty() ? Sent{} : all.front();
  }
  void expect_silent() { EXPECT_TRUE(take().empty()) << "unexpected segment sent"; }

  // The peer's timestamp clock: tests set it; every peer segment carries it when timestamps
  // are in use (peer_ts_ on), echoing `peer_echo_`.
  wire::TcpOptions peer_options() const {
    wire::TcpOptions o;
    if (peer_ts_) o.timestamps = wire::TcpTimestamps{peer_tsval_, peer_echo_};
    return o;
  }

  void deliver(const Peer& p) {
    std::vector<std::byte> data(p.payload);
    for (std::size_t i = 0; i < data.size(); ++i) data[i] = std::byte(i % 251);
    SegmentIn seg{SeqNum{p.seq}, SeqNum{p.ack}, p.flags, p.window, p.options, data};
    conn_->on_segment(seg, now_);
  }
  // A peer segment with the default options (timestamps when on).
  Peer peer(std::uint32_t seq, std::uint32_t ack, std::uint8_t flags = TcpFlags::ack,
            std::size_t payload = 0) const {
    return Peer{seq, ack, flags, 65535, peer_options(), payload};
  }
  void deliver(std::uint32_t seq, std::uint32_t ack, std::uint8_t flags = TcpFlags::ack,
               std::size_t payload = 0) {
    deliver(peer(seq, ack, flags, payload));
  }

  // Moves virtual time to `until`, firing each deadline that falls before it, in order.
  void run_until(Instant until) {
    while (conn_->next_deadline() <= until) {
      now_ = std::max(now_, conn_->next_deadline());
      conn_->on_timer(now_);
    }
    now_ = until;
  }
  void advance(Duration d) { run_until(now_ + d); }
  // Fires the next deadline; returns the time it fired at.
  Instant fire_next() {
    now_ = conn_->next_deadline();
    conn_->on_timer(now_);
    return now_;
  }

  // The SYN options a Linux peer offers: MSS, SACK-permitted, TS, WS 7.
  wire::TcpOptions full_syn_options(std::uint16_t mss = kPeerMss) const {
    wire::TcpOptions o = peer_options();
    o.mss = mss;
    o.sack_permitted = true;
    o.window_scale = 7;
    return o;
  }

  // Active open answered by a SYN-ACK with `syn_options`; leaves ESTABLISHED, output cleared.
  void establish_active(const wire::TcpOptions& syn_options, const TcpSocketOptions& options = {},
                        std::uint16_t peer_window = 65535) {
    make(options);
    conn_->open_active(SeqNum{kIss}, now_);
    take();
    deliver(Peer{kPeerIss, kIss + 1, TcpFlags::syn | TcpFlags::ack, peer_window, syn_options, 0});
    ASSERT_EQ(conn_->state(), TcpState::established);
    take();
    conn_->take_events();
  }
  // Without options: MSS 536 (RFC 9293 default), no SACK/TS/WS. Simple numbers for window
  // and loss-recovery tests.
  void establish_plain(const TcpSocketOptions& options = {}, std::uint16_t mss = 1000,
                       std::uint16_t peer_window = 65535) {
    peer_ts_ = false;
    wire::TcpOptions o;
    o.mss = mss;
    establish_active(o, options, peer_window);
  }

  // Queues `n` bytes from the application.
  std::size_t write(std::size_t n) {
    std::vector<std::byte> data(n, std::byte{0x5a});
    const auto r = conn_->send(data, now_);
    EXPECT_TRUE(r.has_value());
    return r.value_or(0);
  }
  std::size_t read(std::size_t n) {
    std::vector<std::byte> data(n);
    const auto r = conn_->receive(data, false, now_);
    return r.value_or(0);
  }
  std::uint64_t count(Counter c) const { return counters_.get(c); }
  // Our TSval at `t`: virtual milliseconds plus the per-pair offset (RFC 7323 §5.4).
  static std::uint32_t our_ts(Instant t) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch());
    return static_cast<std::uint32_t>(ms.count()) + kTsOffset;
  }

  TcpSettings settings_;
  Counters counters_;
  CapturingOutput out_;
  FourTuple tuple_;
  Instant now_ = at(10s);
  std::unique_ptr<TcpConnection> conn_;
  bool peer_ts_ = true;
  std::uint32_t peer_tsval_ = 700000;
  std::uint32_t peer_echo_ = 0;
};

}  // namespace tapstack::tcp_test
