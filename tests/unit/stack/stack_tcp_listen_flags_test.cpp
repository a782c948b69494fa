// TCP segments with hostile flag combinations (nmap's SYN+FIN, null and Xmas probes) reaching a
// listening port through the whole Stack: dropped, counted, unanswered, and no half-open
// connection is created (RFC 9293 §3.10.7.2; Linux's tcp_rcv_state_process drops SYN+FIN in
// LISTEN as well). A plain SYN still opens as before.
#include <array>

#include "stack/tcp/tcp_layer.hpp"
#include "stack/wire/tcp.hpp"
#include "unit/stack/stack_fixture.hpp"

namespace tapstack::test {
namespace {

constexpr std::uint16_t kListenPort = 80;
constexpr std::uint16_t kPeerPort = 40000;

class StackTcpListenFlags : public StackTest {
 protected:
  StackTcpListenFlags() {
    learn_peer();
    EXPECT_TRUE(stack_.tcp().listen({Ipv4Addr::any(), kListenPort}, 8, {}));
  }

  Frame segment(std::uint8_t flags) {
    wire::TcpHeader h;
    h.source_port = kPeerPort;
    h.destination_port = kListenPort;
    h.seq = SeqNum{1000};
    h.flags = flags;
    h.window = 65535;
    Frame tcp(h.size());
    h.emit(tcp, kPeerIp, kStackIp, {});
    return ip_frame(ipv4_packet(ip_header(kPeerIp, kStackIp, 6), tcp));
  }

  std::size_t connections() const { return stack_.tcp().snapshot().size() - 1; }  // - listener
};

TEST_F(StackTcpListenFlags, SynFinNullAndXmasAreDroppedAndCounted) {
  using wire::TcpFlags;
  const std::array<std::uint8_t, 3> hostile = {
      TcpFlags::syn | TcpFlags::fin,                  // SYN+FIN
      0,                                              // null
      TcpFlags::fin | TcpFlags::psh | TcpFlags::urg,  // Xmas
  };
  for (const std::uint8_t flags : hostile) receive(segment(flags));
  EXPECT_TRUE(sent().empty());
  EXPECT_EQ(count(Counter::tcp_drop_listen_bad_flags), hostile.size());
  EXPECT_EQ(connections(), 0u);
  EXPECT_EQ(count(Counter::tcp_rx_no_socket), 0u);
}

TEST_F(StackTcpListenFlags, PlainSynStillOpensAHalfOpenConnection) {
  receive(segment(wire::TcpFlags::syn));
  EXPECT_EQ(sent().size(), 1u);  // the SYN-ACK
  EXPECT_EQ(connections(), 1u);
  EXPECT_EQ(count(Counter::tcp_drop_listen_bad_flags), 0u);
}

}  // namespace
}  // namespace tapstack::test
