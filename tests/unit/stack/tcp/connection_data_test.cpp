// Data transfer: in-order and out-of-order arrival with SACK (RFC 2018) and D-SACK (RFC 2883),
// the ACK policy (RFC 9293 §3.8.6.3, RFC 1122 §4.2.3.2), Nagle and cork (RFC 9293 §3.7.4) and
// the receiver's window (RFC 9293 §3.8.6.2.2).
#include "tests/unit/stack/tcp/connection_harness.hpp"

namespace tapstack::tcp_test {
namespace {

using TcpConnectionData = ConnectionTest;

TEST_F(TcpConnectionData, InOrderDataIsAckedAndReadable) {
  establish_active(full_syn_options());
  deliver(kPeerIss + 1, kIss + 1, TcpFlags::ack | TcpFlags::psh, 1000);
  const Sent ack = take_one();  // quick-ACK phase at the start: at once
  EXPECT_EQ(ack.ack, kPeerIss + 1001);
  EXPECT_EQ(ack.options.sack_count, 0);
  EXPECT_TRUE(conn().take_events() & tcp_event::readable);
  std::vector<std::byte> data(2000);
  ASSERT_EQ(conn().receive(data, false, now_).value_or(0), 1000U);
  for (std::size_t i = 0; i < 1000; ++i) ASSERT_EQ(data[i], std::byte(i % 251)) << i;
  EXPECT_EQ(conn().receive(data, false, now_).error(), SocketError::would_block);
}

TEST_F(TcpConnectionData, OutOfOrderDataGetsSackAtOnce) {
  establish_active(full_syn_options());
  deliver(kPeerIss + 1001, kIss + 1, TcpFlags::ack, 1000);
  Sent ack = take_one();
  EXPECT_EQ(ack.ack, kPeerIss + 1);
  ASSERT_EQ(ack.options.sack_count, 1);
  EXPECT_EQ(ack.options.sack_blocks[0], (wire::SackBlock{SeqNum{6001}, SeqNum{7001}}));
  deliver(kPeerIss + 3001, kIss + 1, TcpFlags::ack, 1000);
  ack = take_one();
  ASSERT_EQ(ack.options.sack_count, 2);  // RFC 2018 §4: newest block first
  EXPECT_EQ(ack.options.sack_blocks[0], (wire::SackBlock{SeqNum{8001}, SeqNum{9001}}));
  EXPECT_EQ(ack.options.sack_blocks[1], (wire::SackBlock{SeqNum{6001}, SeqNum{7001}}));
  deliver(kPeerIss + 1, kIss + 1, TcpFlags::ack, 1000);  // fills the first hole
  ack = take_one();
  EXPECT_EQ(ack.ack, kPeerIss + 2001);
  ASSERT_EQ(ack.options.sack_count, 1);
  EXPECT_EQ(ack.options.sack_blocks[0], (wire::SackBlock{SeqNum{8001}, SeqNum{9001}}));
  EXPECT_EQ(conn().info().receive_queue, 2000U);
}

TEST_F(TcpConnectionData, AtMostThreeSackBlocksBesideTimestamps) {
  establish_active(full_syn_options());
  for (std::uint32_t i = 1; i <= 4; ++i)
    deliver(kPeerIss + 1 + i * 200, kIss + 1, TcpFlags::ack, 100);
  const auto acks = take();
  ASSERT_EQ(acks.size(), 4U);
  // RFC 2018 §3: 40 option bytes hold 3 blocks next to timestamps (10 + 2 + 2 + 8 * 3 = 38),
  // the newest (5801..5901) first.
  ASSERT_EQ(acks.back().options.sack_count, 3);
  EXPECT_EQ(acks.back().options.sack_blocks[0], (wire::SackBlock{SeqNum{5801}, SeqNum{5901}}));
  EXPECT_EQ(acks.back().options.sack_blocks[1], (wire::SackBlock{SeqNum{5601}, SeqNum{5701}}));
}

// Dynamic right-sizing (Linux tcp_rcv_space_adjust). SRTT is 0 here, so the 1 ms floor is the
// measurement interval. 100,000 bytes read in it: 2 * 100000 + 16 * MSS 1460 = 223,360.
constexpr std::uint32_t kGrownBuffer = 223360;

TEST_F(TcpConnectionData, ReceiveBufferGrowsWithWhatTheApplicationReads) {
  establish_active(full_syn_options());
  advance(1ms);
  for (std::uint32_t i = 0; i < 100; ++i) {
    deliver(kPeerIss + 1 + i * 1000, kIss + 1, TcpFlags::ack, 1000);
  }
  take();
  EXPECT_EQ(conn().info().rcv_wnd, 131072U - 100000U);
  EXPECT_EQ(read(200000), 100000U);
  EXPECT_EQ(conn().info().rcv_wnd, kGrownBuffer);
}

// Reads closer together than the interval add up: ten reads of 10,000 bytes, 100 us apart, are
// one measurement of 100,000 (each alone would want 43,360 bytes and grow nothing).
TEST_F(TcpConnectionData, ReceiveBufferMeasuresReadsOverOneMillisecond) {
  establish_active(full_syn_options());
  advance(1ms);
  // A first read of one byte is a measurement that grows nothing and starts the next interval.
  deliver(kPeerIss + 1, kIss + 1, TcpFlags::ack, 1);
  take();
  ASSERT_EQ(read(1), 1U);
  std::uint32_t seq = kPeerIss + 2;
  for (int round = 0; round < 10; ++round) {
    advance(100us);
    for (int i = 0; i < 10; ++i, seq += 1000) deliver(seq, kIss + 1, TcpFlags::ack, 1000);
    take();
    ASSERT_EQ(conn().info().rcv_wnd, 131072U - 10000U) << round;
    EXPECT_EQ(read(10000), 10000U);
  }
  EXPECT_EQ(conn().info().rcv_wnd, kGrownBuffer);
}

class TcpReceiveBatch : public ConnectionTest {
 protected:
  // Establishes and leaves the quick-ACK phase (16 segments, each ACKed at once) behind;
  // returns the next sequence number.
  std::uint32_t past_quick_acks() {
    establish_active(full_syn_options());
    std::uint32_t seq = kPeerIss + 1;
    for (int i = 0; i < 16; ++i, seq += 1460) deliver(seq, kIss + 1, TcpFlags::ack, 1460);
    take();
    return seq;
  }
};

// Within a receive batch, the every-second-segment ACK waits for the batch's end and then covers
// all of it (as one ACK for a GRO-coalesced segment would).
TEST_F(TcpReceiveBatch, RoutineAcksWaitForTheEndOfAReceiveBatch) {
  std::uint32_t seq = past_quick_acks();
  out_.batch = true;
  for (int i = 0; i < 10; ++i, seq += 1460) deliver(seq, kIss + 1, TcpFlags::ack, 1460);
  expect_silent();
  EXPECT_TRUE(conn().ack_deferred());
  out_.batch = false;
  conn().send_deferred_ack(now_);
  EXPECT_EQ(take_one().ack, seq);
  EXPECT_FALSE(conn().ack_deferred());
  conn().send_deferred_ack(now_);  // nothing held any more
  expect_silent();
}

// A gap is reported at once even in a batch (RFC 5681 §4.2: fast retransmit needs it).
TEST_F(TcpReceiveBatch, OutOfOrderDataIsAckedAtOnceInABatch) {
  const std::uint32_t seq = past_quick_acks();
  out_.batch = true;
  deliver(seq, kIss + 1, TcpFlags::ack, 1460);
  deliver(seq + 1460, kIss + 1, TcpFlags::ack, 1460);
  expect_silent();
  deliver(seq + 4 * 1460, kIss + 1, TcpFlags::ack, 1460);  // two segments missing
  const Sent ack = take_one();
  EXPECT_EQ(ack.ack, seq + 2 * 1460);
  ASSERT_EQ(ack.options.sack_count, 1);
}

// A batch ACKs at least every 64 KB, as GRO never coalesces more.
TEST_F(TcpReceiveBatch, ABatchIsAckedEvery64Kilobytes) {
  std::uint32_t seq = past_quick_acks();
  const std::uint32_t first = seq;
  out_.batch = true;
  std::vector<std::uint32_t> acks;
  // 70 segments, 102,200 bytes: inside the window (128 KiB less the 16 segments before).
  for (int i = 0; i < 70; ++i, seq += 1460) {
    deliver(seq, kIss + 1, TcpFlags::ack, 1460);
    for (const Sent& sent : take()) acks.push_back(sent.ack - first);
  }
  EXPECT_EQ(acks, std::vector<std::uint32_t>{45U * 1460});  // the first 65,536 bytes or more
  EXPECT_TRUE(conn().ack_deferred());                       // the rest waits for the batch end
}

TEST_F(TcpConnectionData, DuplicateSegmentGetsDsack) {
  establish_active(full_syn_options());
  deliver(kPeerIss + 1, kIss + 1, TcpFlags::ack, 1000);
  take();
  // The same segment again (our ACK was lost): RFC 2883 §4 example 1, D-SACK [5001, 6001).
  deliver(kPeerIss + 1, kIss + 1, TcpFlags::ack, 1000);
  const Sent ack = take_one();
  EXPECT_EQ(ack.ack, kPeerIss + 1001);
  ASSERT_EQ(ack.options.sack_count, 1);
  EXPECT_EQ(ack.options.sack_blocks[0], (wire::SackBlock{SeqNum{5001}, SeqNum{6001}}));
  // Reported once: the next ACK carries no D-SACK.
  deliver(kPeerIss + 1001, kIss + 1, TcpFlags::ack, 100);
  EXPECT_EQ(take_one().options.sack_count, 0);
}

TEST_F(TcpConnectionData, DelayedAckAfterQuickAcks) {
  establish_active(full_syn_options());
  std::uint32_t seq = kPeerIss + 1;
  // Linux quick-ACK mode: the first 16 data segments are acknowledged at once.
  for (int i = 0; i < 16; ++i, seq += 100) {
    deliver(seq, kIss + 1, TcpFlags::ack, 100);
    ASSERT_EQ(take_one().ack, seq + 100);
  }
  deliver(seq, kIss + 1, TcpFlags::ack, 100);
  expect_silent();
  EXPECT_EQ(conn().next_deadline(), now_ + 40ms);  // settings.delayed_ack
  advance(39ms);
  expect_silent();
  advance(1ms);
  EXPECT_EQ(take_one().ack, seq + 100);
  EXPECT_EQ(count(Counter::tcp_delayed_acks), 1U);
  seq += 100;
  // RFC 9293 §3.8.6.3: the second segment since the last ACK is acknowledged at once.
  deliver(seq, kIss + 1, TcpFlags::ack, 100);
  expect_silent();
  deliver(seq + 100, kIss + 1, TcpFlags::ack, 100);
  EXPECT_EQ(take_one().ack, seq + 200);
  EXPECT_EQ(conn().next_deadline(), kNever);
}

TEST_F(TcpConnectionData, DelayedAckRidesOnData) {
  establish_active(full_syn_options());
  std::uint32_t seq = kPeerIss + 1;
  for (int i = 0; i < 16; ++i, seq += 100) deliver(seq, kIss + 1, TcpFlags::ack, 100);
  take();
  deliver(seq, kIss + 1, TcpFlags::ack, 100);  // delayed
  expect_silent();
  write(50);  // the reply carries the ACK: no separate ACK when the timer would fire
  const Sent data = take_one();
  EXPECT_EQ(data.ack, seq + 100);
  EXPECT_EQ(data.len(), 50U);
  EXPECT_EQ(conn().next_deadline(), now_ + conn().info().rto);  // only the RTO is left
}

TEST_F(TcpConnectionData, NagleHoldsSmallSegmentUntilAck) {
  establish_plain();
  write(100);
  Sent first = take_one();  // nothing in flight: sent at once
  EXPECT_EQ(first.seq, kIss + 1);
  EXPECT_EQ(first.len(), 100U);
  EXPECT_TRUE(first.has(TcpFlags::psh));
  write(100);
  expect_silent();  // RFC 9293 §3.7.4: small data waits while data is unacknowledged
  deliver(kPeerIss + 1, kIss + 101);
  const Sent second = take_one();
  EXPECT_EQ(second.seq, kIss + 101);
  EXPECT_EQ(second.len(), 100U);
}

TEST_F(TcpConnectionData, NoDelaySendsSmallSegmentsAtOnce) {
  TcpSocketOptions options;
  options.no_delay = true;
  establish_plain(options);
  write(100);
  write(100);
  const auto sent = take();
  ASSERT_EQ(sent.size(), 2U);
  EXPECT_EQ(sent[1].seq, kIss + 101);
}

TEST_F(TcpConnectionData, CorkSendsOnlyFullSegmentsUntilUncorked) {
  TcpSocketOptions options;
  options.cork = true;
  establish_plain(options);  // SMSS 1000
  write(100);
  expect_silent();
  write(1000);
  const Sent full = take_one();
  EXPECT_EQ(full.len(), 1000U);
  // TCP_CORK (tcp(7)): "all queued partial frames are sent when the option is cleared".
  options.cork = false;
  conn().set_options(options, now_);
  const Sent rest = take_one();
  EXPECT_EQ(rest.seq, kIss + 1001);
  EXPECT_EQ(rest.len(), 100U);
}

TEST_F(TcpConnectionData, FullSegmentsGoOutDespiteNagle) {
  establish_plain();
  write(2500);
  const auto sent = take();
  // SMSS 1000: two full segments; the 500-byte tail waits for the ACK (Nagle: data in flight).
  ASSERT_EQ(sent.size(), 2U);
  EXPECT_EQ(sent[0].len(), 1000U);
  EXPECT_EQ(sent[1].len(), 1000U);
  deliver(kPeerIss + 1, kIss + 2001);
  EXPECT_EQ(take_one().len(), 500U);
}

// Receiver SWS avoidance: a 4000-byte buffer (no autotuning, no window scaling), MSS 1000.
TEST_F(TcpConnectionData, ReceiveWindowOpensOnlyInUsefulSteps) {
  TcpSocketOptions options;
  options.receive_buffer = 4000;
  establish_plain(options);
  std::uint16_t window = 0;
  for (std::uint32_t i = 0; i < 4; ++i) {
    deliver(kPeerIss + 1 + i * 1000, kIss + 1, TcpFlags::ack, 1000);
    window = take_one().window;
  }
  EXPECT_EQ(window, 0);  // 4000 bytes held, none read
  // Reading 500 would offer 500 bytes: RFC 9293 §3.8.6.2.2 waits for min(buffer/2 = 2000,
  // MSS = 1460) = 1460 bytes.
  EXPECT_EQ(read(500), 500U);
  expect_silent();
  // 1500 bytes free now: a window update goes out at once.
  EXPECT_EQ(read(1000), 1000U);
  const Sent update = take_one();
  EXPECT_EQ(update.ack, kPeerIss + 4001);
  EXPECT_EQ(update.window, 1500);
}

// Zero-copy receive (the shim's data channel writes from the buffer in place): consume() opens
// the window as a read does, and the end of stream is two empty pieces.
TEST_F(TcpConnectionData, ConsumeInPlaceOpensTheWindowLikeARead) {
  TcpSocketOptions options;
  options.receive_buffer = 4000;
  establish_plain(options);
  EXPECT_EQ(conn().readable_bytes().error(), SocketError::would_block);
  for (std::uint32_t i = 0; i < 4; ++i) {
    deliver(kPeerIss + 1 + i * 1000, kIss + 1, TcpFlags::ack, 1000);
    take();
  }
  const auto waiting = conn().readable_bytes();
  ASSERT_TRUE(waiting.has_value());
  ASSERT_EQ((*waiting)[0].size() + (*waiting)[1].size(), 4000U);
  EXPECT_EQ((*waiting)[0][999], std::byte(999 % 251));  // each segment holds the pattern
  conn().consume(500, now_);
  expect_silent();  // 500 free: under min(buffer / 2, MSS), no update yet
  conn().consume(1000, now_);
  const Sent update = take_one();
  EXPECT_EQ(update.ack, kPeerIss + 4001);
  EXPECT_EQ(update.window, 1500);
  conn().consume(2500, now_);
  deliver(kPeerIss + 4001, kIss + 1, TcpFlags::ack | TcpFlags::fin);
  const auto end = conn().readable_bytes();
  ASSERT_TRUE(end.has_value());
  EXPECT_TRUE((*end)[0].empty() && (*end)[1].empty());
}

TEST_F(TcpConnectionData, ZeroReceiveWindowStillTakesAcks) {
  TcpSocketOptions options;
  options.receive_buffer = 4000;
  establish_plain(options);
  write(100);
  take();
  for (std::uint32_t i = 0; i < 4; ++i)
    deliver(kPeerIss + 1 + i * 1000, kIss + 1, TcpFlags::ack, 1000);
  ASSERT_EQ(take().back().window, 0);
  // The peer probes our zero window with one byte and acknowledges our data on it.
  deliver(kPeerIss + 4001, kIss + 101, TcpFlags::ack, 1);
  EXPECT_EQ(conn().info().send_queue, 0U);    // RFC 9293 §3.10.7.4: the ACK is taken
  EXPECT_EQ(conn().next_deadline(), kNever);  // nothing left to retransmit
  const Sent ack = take_one();                // the byte is not: the window is still closed
  EXPECT_EQ(ack.ack, kPeerIss + 4001);
  EXPECT_EQ(ack.window, 0);
  EXPECT_EQ(conn().info().receive_queue, 4000U);
}

TEST_F(TcpConnectionData, ReceiveAfterShutdownSend) {
  establish_active(full_syn_options());
  conn().shutdown_send(now_);
  EXPECT_TRUE(take_one().has(TcpFlags::fin));
  deliver(kPeerIss + 1, kIss + 2);  // FIN acknowledged
  EXPECT_EQ(conn().state(), TcpState::fin_wait_2);
  deliver(kPeerIss + 1, kIss + 2, TcpFlags::ack, 500);  // half-close: data still flows in
  EXPECT_EQ(take_one().ack, kPeerIss + 501);
  EXPECT_EQ(read(1000), 500U);
  EXPECT_EQ(conn().send(std::vector<std::byte>(10), now_).error(), SocketError::broken_pipe);
}

}  // namespace
}  // namespace tapstack::tcp_test
