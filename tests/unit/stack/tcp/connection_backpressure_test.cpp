// Backpressure: while SegmentOutput::has_room() is false a connection sends no data (nor a
// SYN) and records that it is blocked; resume_output() continues where it stopped. Control
// segments (ACKs) still go out: they are small and keep the peer's clock running.
#include "tests/unit/stack/tcp/connection_harness.hpp"

namespace tapstack::tcp_test {
namespace {

using TcpConnectionBackpressure = ConnectionTest;

TEST_F(TcpConnectionBackpressure, DataWaitsForRoomThenResumes) {
  establish_plain();  // SMSS 1000, IW 10000
  out_.room = false;
  EXPECT_EQ(write(5000), 5000U);  // taken into the send buffer
  expect_silent();
  EXPECT_TRUE(conn().output_blocked());
  out_.room = true;
  conn().resume_output(now_);
  const auto sent = take();
  ASSERT_EQ(sent.size(), 5U);
  EXPECT_EQ(sent.front().seq, kIss + 1);
  EXPECT_EQ(sent.back().seq, kIss + 4001);
  EXPECT_FALSE(conn().output_blocked());
}

TEST_F(TcpConnectionBackpressure, AcksStillGoOut) {
  establish_plain();
  out_.room = false;
  deliver(kPeerIss + 1, kIss + 1, TcpFlags::ack, 100);
  EXPECT_EQ(take_one().ack, kPeerIss + 101);
}

TEST_F(TcpConnectionBackpressure, SynWaitsForRoom) {
  make();
  out_.room = false;
  conn().open_active(SeqNum{kIss}, now_);
  expect_silent();
  EXPECT_TRUE(conn().output_blocked());
  out_.room = true;
  conn().resume_output(now_);
  const Sent syn = take_one();
  EXPECT_TRUE(syn.is(TcpFlags::syn));
  EXPECT_EQ(syn.seq, kIss);
  EXPECT_EQ(conn().next_deadline(), now_ + 1s);  // the SYN's retransmission timer (RFC 6298)
}

}  // namespace
}  // namespace tapstack::tcp_test
