// UDP over an impaired link (loss, duplication, reordering, bit errors) on virtual time, many
// seeds: whatever arrives is whole and unaltered, corrupted datagrams are dropped and counted.
#include <set>

#include "support/frames.hpp"
#include "unit/stack/udp/udp_sim_fixture.hpp"

namespace tapstack::test {
namespace {

constexpr int kDatagrams = 150;

// Datagram `i`: its number in the first two bytes, then a pattern; some exceed the MTU.
std::vector<std::byte> datagram(int i) {
  std::vector<std::byte> bytes = pattern(2 + static_cast<std::size_t>(i * 331 % 4000));
  wire::store16(bytes, 0, static_cast<std::uint16_t>(i));
  return bytes;
}

sim::SimSettings impaired(std::uint64_t seed) {
  sim::SimSettings settings;
  settings.seed = seed;
  settings.a_to_b.drop = 0.03;
  settings.a_to_b.duplicate = 0.05;
  settings.a_to_b.reorder = 0.1;
  settings.a_to_b.corrupt = 0.05;
  settings.a_to_b.delay = std::chrono::milliseconds(1);
  return settings;
}

class UdpLossyLink : public UdpSimTest, public ::testing::WithParamInterface<std::uint64_t> {
 protected:
  UdpLossyLink() : UdpSimTest(impaired(GetParam())) {}
};

TEST_P(UdpLossyLink, DeliversOnlyWholeUnalteredDatagrams) {
  const SocketHandle server =
      open_bound(b(), {Ipv4Addr::any(), 9000}, UdpSocketOptions{.receive_buffer = 4 << 20});
  const SocketHandle client = open(a());
  std::set<int> received;
  std::size_t copies = 0;
  std::vector<std::byte> out(65536);
  std::size_t altered = 0;
  const auto drain = [&] {
    bool any = false;
    while (const auto got = b().receive(server, out, false)) {
      const int i = wire::load16(out, 0);
      const auto expected = datagram(i);
      if (got->size != expected.size() ||
          !std::equal(expected.begin(), expected.end(), out.begin())) {
        ++altered;
      }
      received.insert(i);
      ++copies;
      any = true;
    }
    return any;
  };
  for (int i = 0; i < kDatagrams; ++i) {
    ASSERT_TRUE(a().send_to(client, {kAddrB, 9000}, datagram(i), net_.now()));
    net_.run_until([] { return false; }, drain, net_.now() + std::chrono::milliseconds(2));
  }
  // Long enough for ARP retries and for incomplete reassemblies to time out.
  net_.run_until([] { return false; }, drain, net_.now() + std::chrono::seconds(40));

  EXPECT_EQ(altered, 0u);
  EXPECT_GT(received.size(), kDatagrams * 3 / 4);
  EXPECT_GE(copies, received.size());  // a duplicated frame may deliver a datagram twice
  EXPECT_EQ(b_count(Counter::udp_rx_datagrams), copies);
  EXPECT_GT(b_count(Counter::udp_drop_bad_checksum), 0u);  // bit errors caught by the checksum
  EXPECT_EQ(net_.b().tx_pending(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Seeds, UdpLossyLink, ::testing::Range<std::uint64_t>(1, 9));

}  // namespace
}  // namespace tapstack::test
