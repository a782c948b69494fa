// TCP segmentation offload (issue 7): with a device that cuts segments, new data goes out in
// segments of up to 64 KB made of whole SMSS-sized pieces, a short piece only at the end of the
// data where Nagle would let a short segment go (Linux tcp_mss_split_point); retransmissions
// stay SMSS-sized; without a free large buffer everything is SMSS-sized.
#include "tests/unit/stack/tcp/connection_harness.hpp"

namespace tapstack::tcp_test {
namespace {

class TcpConnectionTso : public ConnectionTest {
 protected:
  // Established with MSS 1000 (no options) and a peer window of 65535.
  void establish() {
    establish_plain();
    conn().enable_segmentation_offload();
  }
  // Segments sent since the last call, noting how far they reached.
  std::vector<Sent> sent() {
    auto all = take();
    for (const Sent& s : all) sent_end_ = std::max(sent_end_, s.seq + s.len());
    return all;
  }
  // The peer acknowledges everything sent so far; returns what that lets out.
  std::vector<Sent> ack_all() {
    deliver(peer_seq_, sent_end_, TcpFlags::ack);
    return sent();
  }

  std::uint32_t sent_end_ = kIss + 1;
  std::uint32_t peer_seq_ = kPeerIss + 1;
};

TEST_F(TcpConnectionTso, NewDataLeavesInWholeMssMultiplesUpToTheCongestionWindow) {
  establish();
  const std::uint64_t before = count(Counter::tcp_tx_segments);
  write(40000);
  const auto all = sent();
  ASSERT_EQ(all.size(), 1U);        // one segment for the device to cut: the initial window
  EXPECT_EQ(all[0].len(), 10000U);  // RFC 6928: 10 segments
  EXPECT_EQ(all[0].segment_size, 1000U);
  EXPECT_EQ(count(Counter::tcp_tx_segments) - before, 10U);  // counted as on the wire
}

TEST_F(TcpConnectionTso, SegmentsStopAtSixtyFourKilobytes) {
  establish_active(full_syn_options());  // window scaling: the peer's window is 8 MB
  conn().enable_segmentation_offload();
  const std::uint32_t smss = conn().info().smss;
  std::size_t largest = 0;
  // Slow start opens the congestion window far beyond 64 KB within a few rounds.
  write(200000);
  std::vector<Sent> round = sent();
  for (int i = 0; i < 6 && !round.empty(); ++i) {
    for (const Sent& s : round) {
      largest = std::max<std::size_t>(largest, s.len());
      EXPECT_EQ(s.len() % smss, 0U);
      EXPECT_LE(s.len(), 65535U - 20 - 60);  // one IPv4 datagram with the largest headers
    }
    write(200000 - conn().info().send_queue);
    round = ack_all();
  }
  EXPECT_EQ(largest, (65535U - 20 - 60) / smss * smss);
}

TEST_F(TcpConnectionTso, TheDeviceCutsToThePeersMss) {
  establish_active(full_syn_options(100));  // a small MSS, less the timestamp option
  conn().enable_segmentation_offload();
  write(5000);
  const auto all = sent();
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(all[0].segment_size, 100U - 12U);
  EXPECT_GT(all[0].len(), all[0].segment_size);
  EXPECT_EQ(all[0].len() % all[0].segment_size, 0U);
}

TEST_F(TcpConnectionTso, WithoutALargeBufferSegmentsAreMssSized) {
  establish();
  out_.large_room = false;
  write(5000);
  const auto all = sent();
  ASSERT_EQ(all.size(), 5U);
  for (const Sent& s : all) EXPECT_EQ(s.len(), 1000U);
}

TEST_F(TcpConnectionTso, AShortTailGoesWithNothingInFlightButWaitsBehindData) {
  establish();
  write(3500);  // nothing in flight: Nagle lets the 500-byte tail go at once
  auto all = sent();
  ASSERT_EQ(all.size(), 1U);
  EXPECT_EQ(all[0].len(), 3500U);
  write(2500);  // 3500 in flight: the tail of 500 waits for the ACK (Nagle)
  all = sent();
  ASSERT_EQ(all.size(), 1U);
  EXPECT_EQ(all[0].len(), 2000U);
  deliver(peer_seq_, sent_end_, TcpFlags::ack);
  all = sent();
  ASSERT_EQ(all.size(), 1U);
  EXPECT_EQ(all[0].len(), 500U);
}

TEST_F(TcpConnectionTso, RetransmissionsAreMssSized) {
  establish();
  write(10000);
  ASSERT_EQ(sent().at(0).len(), 10000U);
  fire_next();  // the retransmission timeout
  const Sent resent = take_one();
  EXPECT_EQ(resent.seq, kIss + 1);
  EXPECT_EQ(resent.len(), 1000U);
}

}  // namespace
}  // namespace tapstack::tcp_test
